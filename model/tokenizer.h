// The umT5 prompt tokenizer: SentencePiece over the cleaned prompt text, EOS appended, padded or
// truncated to text_len with a mask of the real tokens, as the Wan reference's
// HuggingfaceTokenizer(clean='whitespace', seq_len=text_len) with add_special_tokens does.
//
// Differences from the reference are in the cleaning (tokenizer_text_clean.h) and in text that
// spells a special token ("</s>" in a prompt is ordinary text here; the Hugging Face tokenizer
// reads it as EOS). Cheap to copy (copies share the loaded model); const methods are safe to call
// from several threads.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace motionfarm::model {

// What to do with a prompt longer than text_len tokens (EOS included).
enum class OverLengthPolicy {
  kReject,    // throw InputError: the farm reports the asset instead of rendering a cut prompt
  kTruncate,  // keep the first text_len - 1 tokens and EOS, as the reference does; reported in
              // the result (and logged)
};

struct TokenizerOptions {
  int64_t text_len = 512;  // tokens per prompt after padding, EOS included
  OverLengthPolicy over_length = OverLengthPolicy::kReject;
  bool clean_text = true;  // the reference's clean='whitespace'

  // Throws ConfigError when text_len < 1.
  void validate() const;
};

// One prompt as the text encoder takes it.
struct TokenizedPrompt {
  std::vector<int64_t> ids;  // text_len entries: tokens, EOS, then the pad id
  int64_t length = 0;        // real tokens, EOS included (the mask's ones)
  int64_t full_length = 0;   // tokens the whole prompt needs, EOS included (> length if cut)

  bool truncated() const { return full_length > length; }
  // [1, text_len] int64 ids and mask (1 for real tokens, 0 for padding), on the CPU.
  at::Tensor ids_tensor() const;
  at::Tensor mask_tensor() const;
  // [length] int64: the real tokens only.
  at::Tensor real_ids_tensor() const;
};

class PromptTokenizer {
 public:
  // Loads a SentencePiece model (umT5's `spiece.model`, or `google/umt5-xxl/spiece.model` in the
  // Wan release). Throws InputError naming the file when it is missing or not a SentencePiece
  // model, ModelError when it defines no EOS piece.
  static PromptTokenizer open(const std::string& model_path, const TokenizerOptions& options = {});

  // Throws InputError "prompt is N tokens, the model takes at most M" under kReject.
  TokenizedPrompt tokenize(const std::string& prompt) const;
  // The ids of the (cleaned, when enabled) text alone: no EOS, no padding, no length limit.
  std::vector<int64_t> encode_text(const std::string& text) const;

  int64_t vocab_size() const;
  int64_t eos_id() const;
  // The model's pad piece, or 0 when it defines none (padding is masked, so any id works).
  int64_t pad_id() const;
  const TokenizerOptions& options() const;
  const std::string& model_path() const;

 private:
  struct State;
  explicit PromptTokenizer(std::shared_ptr<const State> state);

  std::shared_ptr<const State> state_;
};

}  // namespace motionfarm::model
