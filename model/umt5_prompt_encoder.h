// Prompt text -> umT5 text embeddings: the tokenizer, the encoder and the prompt-embedding cache
// together, as the reference's T5EncoderModel.__call__ (which returns each prompt's states trimmed
// to its real tokens; the DiT pads them back to text_len with zeros).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "model/prompt_cache.h"
#include "model/tokenizer.h"
#include "model/umt5_encoder.h"

namespace motionfarm::model {

class Umt5PromptEncoder {
 public:
  // `identity` names the weights and tokenizer for the cache (see umt5_encoder_identity());
  // `cache` is borrowed and may be null (no caching). The tokenizer's text_len must be the
  // config's, and its vocabulary must fit the encoder's: ModelError otherwise.
  Umt5PromptEncoder(Umt5Encoder encoder, PromptTokenizer tokenizer, std::string identity,
                    PromptEmbeddingCache* cache);

  // [length, dim] in the encoder's dtype and device: the states of the prompt's real tokens (EOS
  // included). Runs the encoder only on a cache miss, and then only over the real tokens (the
  // padding cannot change them: padded keys get zero attention weight). Throws InputError for an
  // over-length prompt under OverLengthPolicy::kReject.
  at::Tensor encode(const std::string& prompt);

  // How many times encode() actually ran the encoder (cache misses).
  int64_t encoder_runs() const { return encoder_runs_; }
  const std::string& identity() const { return identity_; }
  const Umt5Encoder& encoder() const { return encoder_; }
  const PromptTokenizer& tokenizer() const { return tokenizer_; }

 private:
  Umt5Encoder encoder_;
  PromptTokenizer tokenizer_;
  std::string identity_;
  PromptEmbeddingCache* cache_;  // borrowed; may be null
  int64_t encoder_runs_ = 0;
};

// The cache identity of an encoder: its weight files and tokenizer model as they are on disk
// (file_identity()), plus the compute dtype and device, which change the stored tensors.
std::string umt5_encoder_identity(const io::SafetensorsCheckpoint& weights,
                                  const std::string& tokenizer_model,
                                  const EncoderLoadOptions& options);

}  // namespace motionfarm::model
