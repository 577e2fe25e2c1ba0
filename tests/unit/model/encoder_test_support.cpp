#include "tests/unit/model/encoder_test_support.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/run_command.h"

namespace motionfarm::model::testing {
namespace {

// Sentences the model is trained on: enough repetition for unigram training to find pieces.
const char* const kCorpus[] = {
    "a red fox runs through the snow at dawn",
    "the camera slowly pans across a quiet mountain lake",
    "a woman in a yellow raincoat walks down a rainy street",
    "close-up of a cat sleeping on a sunny windowsill",
    "waves crash against the rocks under a stormy sky",
    "Café crème et brûlée à la française, déjà vu",
    "El niño comió jalapeños en la montaña",
    "Über den Straßen schläft die Stadt",
    "赤い狐が雪の中を走る",
    "東京の夜景、雨の中のネオン",
    "桜の花が風に舞う春の日",
    "a 🦊 and a 🐱 play in the 🌧 rain",
    "fireworks 🎆 over the harbour at night",
};

}  // namespace

std::string encoder_golden_path(const std::string& file) {
  return motionfarm::testing::shared_dir() + "/golden/" + file;
}

void expect_close_to_reference(const at::Tensor& ours, const at::Tensor& reference,
                               double tolerance) {
  ASSERT_EQ(ours.sizes(), reference.sizes());
  const at::Tensor ours64 = ours.to(at::kCPU, at::kDouble);
  const at::Tensor ref64 = reference.to(at::kCPU, at::kDouble);
  const at::Tensor difference = (ours64 - ref64).abs();
  const double worst = (difference - tolerance * ref64.abs().clamp_min(1.0)).max().item<double>();
  EXPECT_LE(worst, 0.0) << "max |ours - reference| = " << difference.max().item<double>()
                        << " is over the bar of " << tolerance << " * max(1, |reference|)";
}

TrainedSentencePiece::TrainedSentencePiece()
    : folder_(std::make_unique<motionfarm::testing::ScratchDir>("spm")) {
  const std::string corpus = folder_->file("corpus.txt");
  {
    std::ofstream out(corpus);
    for (int repeat = 0; repeat < 20; ++repeat) {
      for (const char* line : kCorpus) out << line << "\n";
    }
  }
  const std::string prefix = folder_->file("umt5_test");
  const auto result = motionfarm::testing::run_command(
      "spm_train --input=" + motionfarm::testing::shell_quote(corpus) +
      " --model_prefix=" + motionfarm::testing::shell_quote(prefix) +
      " --vocab_size=300 --model_type=unigram --character_coverage=1.0 --hard_vocab_limit=false"
      " --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1 --num_threads=1 --minloglevel=2");
  if (result.exit_code != 0) ADD_FAILURE() << "spm_train failed:\n" << result.output;
  model_path_ = prefix + ".model";
}

const TrainedSentencePiece& TrainedSentencePiece::get() {
  static const TrainedSentencePiece model;
  return model;
}

std::vector<int64_t> TrainedSentencePiece::reference_ids(const std::string& text) const {
  const auto result = motionfarm::testing::run_command(
      "printf '%s\\n' " + motionfarm::testing::shell_quote(text) +
      " | spm_encode --output_format=id --model=" + motionfarm::testing::shell_quote(model_path_) +
      " 2>/dev/null");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::istringstream in(result.output);
  std::vector<int64_t> ids;
  int64_t id = 0;
  while (in >> id) ids.push_back(id);
  return ids;
}

}  // namespace motionfarm::model::testing
