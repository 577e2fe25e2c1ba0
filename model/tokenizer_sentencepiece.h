// A loaded SentencePiece model, reached through the motionfarm_sentencepiece module
// (tokenizer_sentencepiece_api.h says why it is a dlopen'ed module and not a linked library).
//
// The module is looked for at $MOTIONFARM_SENTENCEPIECE_MODULE, then beside the running
// executable, then where the build put it. Cheap to copy (copies share the model); const methods
// are safe to call from several threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace motionfarm::model {

class SentencePieceModel {
 public:
  // Throws InputError naming the file when it is not a SentencePiece model, NotAvailableError
  // naming every place looked at when the module cannot be loaded.
  static SentencePieceModel load(const std::string& model_path);

  std::vector<int> encode(const std::string& text) const;  // InputError on failure
  int piece_size() const;
  int eos_id() const;  // -1 when the model defines none
  int pad_id() const;  // -1 when the model defines none

 private:
  struct Handle;
  explicit SentencePieceModel(std::shared_ptr<const Handle> handle);

  std::shared_ptr<const Handle> handle_;
};

}  // namespace motionfarm::model
