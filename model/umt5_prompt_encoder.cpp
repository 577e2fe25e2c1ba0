#include "model/umt5_prompt_encoder.h"

#include <utility>
#include <vector>

#include "core/check.h"
#include "core/error.h"

namespace motionfarm::model {

Umt5PromptEncoder::Umt5PromptEncoder(Umt5Encoder encoder, PromptTokenizer tokenizer,
                                     std::string identity, PromptEmbeddingCache* cache)
    : encoder_(std::move(encoder)),
      tokenizer_(std::move(tokenizer)),
      identity_(std::move(identity)),
      cache_(cache) {
  MF_CHECK_EQ(tokenizer_.options().text_len, encoder_.config().text_len, ModelError,
              "the tokenizer's text_len must be the text encoder's");
  MF_CHECK_LE(tokenizer_.vocab_size(), encoder_.config().vocab, ModelError,
              "tokenizer '" << tokenizer_.model_path()
                            << "' has more pieces than the text encoder has embeddings: they "
                               "belong to different models");
}

at::Tensor Umt5PromptEncoder::encode(const std::string& prompt) {
  // Tokenize first, so an over-length prompt is rejected even when a lenient run cached it.
  const TokenizedPrompt tokens = tokenizer_.tokenize(prompt);
  const auto run = [&] {
    ++encoder_runs_;
    return encoder_.encode_tokens(tokens.real_ids_tensor());
  };
  if (cache_ == nullptr) return run();
  return cache_->get_or_encode(PromptKey{identity_, prompt, tokenizer_.options().text_len}, run);
}

std::string umt5_encoder_identity(const io::SafetensorsCheckpoint& weights,
                                  const std::string& tokenizer_model,
                                  const EncoderLoadOptions& options) {
  std::vector<std::string> paths;
  for (const io::SafetensorsFile& file : weights.files()) paths.push_back(file.path());
  paths.push_back(tokenizer_model);
  return "umt5:" + file_identity(paths) + ":" + c10::toString(options.dtype) + ":" +
         options.device.str();
}

}  // namespace motionfarm::model
