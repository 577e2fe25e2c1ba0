#include "model/tokenizer.h"

#include <filesystem>
#include <utility>

#include "core/check.h"
#include "core/error.h"
#include "core/log.h"
#include "model/tokenizer_sentencepiece.h"
#include "model/tokenizer_text_clean.h"

namespace motionfarm::model {

struct PromptTokenizer::State {
  std::string model_path;
  TokenizerOptions options;
  SentencePieceModel pieces;
  int64_t eos = 0;
  int64_t pad = 0;
};

void TokenizerOptions::validate() const {
  MF_CHECK_GE(text_len, 1, ConfigError, "the tokenizer's text_len must leave room for EOS");
}

at::Tensor TokenizedPrompt::ids_tensor() const {
  return at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);
}

at::Tensor TokenizedPrompt::mask_tensor() const {
  at::Tensor mask = at::zeros({1, static_cast<int64_t>(ids.size())}, at::kLong);
  mask.narrow(1, 0, length).fill_(1);
  return mask;
}

at::Tensor TokenizedPrompt::real_ids_tensor() const {
  return ids_tensor().squeeze(0).narrow(0, 0, length).clone();
}

PromptTokenizer::PromptTokenizer(std::shared_ptr<const State> state) : state_(std::move(state)) {}

PromptTokenizer PromptTokenizer::open(const std::string& model_path,
                                      const TokenizerOptions& options) {
  options.validate();
  if (!std::filesystem::is_regular_file(model_path)) {
    throw InputError("tokenizer model '" + model_path +
                     "' does not exist: pass the text encoder's SentencePiece model "
                     "(spiece.model)");
  }
  SentencePieceModel pieces = SentencePieceModel::load(model_path);
  MF_CHECK_GE(
      pieces.eos_id(), 0, ModelError,
      "tokenizer model '" << model_path << "' defines no EOS piece, which the text encoder needs");
  const int64_t eos = pieces.eos_id();
  const int64_t pad = pieces.pad_id() >= 0 ? pieces.pad_id() : 0;
  auto state = std::make_shared<State>(State{model_path, options, std::move(pieces), eos, pad});
  return PromptTokenizer(std::move(state));
}

std::vector<int64_t> PromptTokenizer::encode_text(const std::string& text) const {
  const std::string cleaned = state_->options.clean_text ? clean_prompt_text(text) : text;
  const std::vector<int> pieces = state_->pieces.encode(cleaned);
  return std::vector<int64_t>(pieces.begin(), pieces.end());
}

TokenizedPrompt PromptTokenizer::tokenize(const std::string& prompt) const {
  const int64_t text_len = state_->options.text_len;
  std::vector<int64_t> tokens = encode_text(prompt);
  TokenizedPrompt result;
  result.full_length = static_cast<int64_t>(tokens.size()) + 1;  // + EOS
  if (result.full_length > text_len) {
    if (state_->options.over_length == OverLengthPolicy::kReject) {
      throw InputError("prompt is " + std::to_string(result.full_length) +
                       " tokens, the model takes at most " + std::to_string(text_len) +
                       ": shorten it (or let the farm truncate over-length prompts)");
    }
    MF_LOG(Warn, "tokenizer") << "prompt is " << result.full_length
                              << " tokens, the model takes at most " << text_len
                              << "; keeping the first " << text_len - 1 << " and EOS";
    // The reference (Hugging Face truncation) keeps room for EOS, so a cut prompt still ends in
    // EOS.
    tokens.resize(static_cast<std::size_t>(text_len - 1));
  }
  tokens.push_back(state_->eos);
  result.length = static_cast<int64_t>(tokens.size());
  tokens.resize(static_cast<std::size_t>(text_len), state_->pad);
  result.ids = std::move(tokens);
  return result;
}

int64_t PromptTokenizer::vocab_size() const { return state_->pieces.piece_size(); }
int64_t PromptTokenizer::eos_id() const { return state_->eos; }
int64_t PromptTokenizer::pad_id() const { return state_->pad; }
const TokenizerOptions& PromptTokenizer::options() const { return state_->options; }
const std::string& PromptTokenizer::model_path() const { return state_->model_path; }

}  // namespace motionfarm::model
