// Test helpers for the text and image encoders: the golden cases in ../shared/golden (see its
// README.md) with the README's agreement check, and a SentencePiece model trained for the test
// with Debian's spm_train.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/test_paths.h"

namespace motionfarm::model::testing {

std::string encoder_golden_path(const std::string& file);

// Fails the current test unless max |ours - ref| <= tolerance * max(1, |ref|) element by element.
void expect_close_to_reference(const at::Tensor& ours, const at::Tensor& reference,
                               double tolerance = 1e-4);

// A small unigram SentencePiece model (300 pieces, T5's special ids: pad 0, EOS 1, unk 2, no BOS)
// trained once per process on English, accented Latin, Japanese and emoji text.
class TrainedSentencePiece {
 public:
  // Trains on first use; fails the calling test (via ADD_FAILURE) when spm_train fails.
  static const TrainedSentencePiece& get();

  const std::string& model_path() const { return model_path_; }
  // The ids `spm_encode` (the SentencePiece CLI) gives `text`: the independent reference.
  std::vector<int64_t> reference_ids(const std::string& text) const;

 private:
  TrainedSentencePiece();
  std::unique_ptr<motionfarm::testing::ScratchDir> folder_;
  std::string model_path_;
};

}  // namespace motionfarm::model::testing
