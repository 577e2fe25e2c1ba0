// The motionfarm_sentencepiece module: libsentencepiece behind the C interface of
// tokenizer_sentencepiece_api.h. Built as its own shared object and only ever dlopen'ed (see the
// header for why); it must not use motionfarm's other libraries or LibTorch.
#include <sentencepiece_processor.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "model/tokenizer_sentencepiece_api.h"

struct MotionfarmSentencePiece {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {

void set_error(char* error, size_t error_size, const std::string& message) {
  if (error == nullptr || error_size == 0) return;
  const size_t length = std::min(message.size(), error_size - 1);
  std::memcpy(error, message.data(), length);
  error[length] = '\0';
}

}  // namespace

extern "C" {

MotionfarmSentencePiece* motionfarm_spm_open(const char* model_path, char* error,
                                             size_t error_size) {
  try {
    auto model = std::make_unique<MotionfarmSentencePiece>();
    const auto status = model->processor.Load(model_path);
    if (!status.ok()) {
      set_error(error, error_size, status.ToString());
      return nullptr;
    }
    return model.release();
  } catch (const std::exception& e) {
    set_error(error, error_size, e.what());
    return nullptr;
  }
}

void motionfarm_spm_close(MotionfarmSentencePiece* model) { delete model; }

long motionfarm_spm_encode(const MotionfarmSentencePiece* model, const char* text, size_t length,
                           int* ids, size_t capacity, char* error, size_t error_size) {
  try {
    std::vector<int> pieces;
    const auto status = model->processor.Encode(std::string(text, length), &pieces);
    if (!status.ok()) {
      set_error(error, error_size, status.ToString());
      return -1;
    }
    for (size_t i = 0; i < pieces.size() && i < capacity; ++i) ids[i] = pieces[i];
    return static_cast<long>(pieces.size());
  } catch (const std::exception& e) {
    set_error(error, error_size, e.what());
    return -1;
  }
}

int motionfarm_spm_piece_size(const MotionfarmSentencePiece* model) {
  return model->processor.GetPieceSize();
}

int motionfarm_spm_eos_id(const MotionfarmSentencePiece* model) {
  return model->processor.eos_id();
}

int motionfarm_spm_pad_id(const MotionfarmSentencePiece* model) {
  return model->processor.pad_id();
}

}  // extern "C"
