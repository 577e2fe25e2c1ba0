// The prompt-embedding cache: LRU eviction under a byte budget, keys that keep encoders and
// lengths apart, file identities, and the text-encoder front end encoding each distinct prompt of
// a batch once.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "core/error.h"
#include "io/safetensors_checkpoint.h"
#include "model/prompt_cache.h"
#include "model/tokenizer.h"
#include "model/umt5_config.h"
#include "model/umt5_encoder.h"
#include "model/umt5_prompt_encoder.h"
#include "tests/support/test_paths.h"
#include "tests/unit/model/encoder_test_support.h"

namespace motionfarm::model {
namespace {

using testing::encoder_golden_path;
using testing::TrainedSentencePiece;

// [25] float32: 100 bytes.
at::Tensor embedding(float value) { return at::full({25}, value); }

PromptKey key(const std::string& prompt) { return PromptKey{"encoder-a", prompt, 512}; }

TEST(PromptEmbeddingCache, EvictsLeastRecentlyUsedBeyondTheByteBudget) {
  PromptEmbeddingCache cache(250);
  cache.insert(key("one"), embedding(1));
  cache.insert(key("two"), embedding(2));
  ASSERT_TRUE(cache.lookup(key("one")).has_value());  // "two" is now the least recently used
  cache.insert(key("three"), embedding(3));
  EXPECT_FALSE(cache.lookup(key("two")).has_value());
  ASSERT_TRUE(cache.lookup(key("one")).has_value());
  EXPECT_EQ((*cache.lookup(key("three")))[0].item<float>(), 3.0f);
  const auto stats = cache.stats();
  EXPECT_EQ(stats.entries, 2);
  EXPECT_EQ(stats.bytes, 200);
  EXPECT_EQ(stats.evictions, 1);
  EXPECT_EQ(stats.hits, 3);
  EXPECT_EQ(stats.misses, 1);
}

TEST(PromptEmbeddingCache, KeysSeparateEncodersAndLengths) {
  PromptEmbeddingCache cache(1 << 20);
  cache.insert(PromptKey{"encoder-a", "a fox", 512}, embedding(1));
  EXPECT_FALSE(cache.lookup(PromptKey{"encoder-b", "a fox", 512}).has_value());
  EXPECT_FALSE(cache.lookup(PromptKey{"encoder-a", "a fox", 256}).has_value());
  EXPECT_FALSE(cache.lookup(PromptKey{"encoder-a", "a fox ", 512}).has_value());
  // Length-prefixed keys: moving characters between identity and prompt is another key.
  cache.insert(PromptKey{"ab", "c", 1}, embedding(2));
  EXPECT_FALSE(cache.lookup(PromptKey{"a", "bc", 1}).has_value());
  EXPECT_TRUE(cache.lookup(PromptKey{"encoder-a", "a fox", 512}).has_value());
}

TEST(PromptEmbeddingCache, OversizedEmbeddingsAndFailuresAreNotStored) {
  PromptEmbeddingCache cache(50);
  int calls = 0;
  const at::Tensor big = cache.get_or_encode(key("big"), [&] {
    ++calls;
    return embedding(7);
  });
  EXPECT_EQ(big[0].item<float>(), 7.0f);
  EXPECT_EQ(cache.stats().entries, 0);
  EXPECT_THROW(cache.get_or_encode(
                   key("bad"), []() -> at::Tensor { throw std::runtime_error("encoder failed"); }),
               std::runtime_error);
  EXPECT_EQ(cache.stats().entries, 0);
  EXPECT_THROW(PromptEmbeddingCache(-1), ConfigError);
}

TEST(PromptEmbeddingCache, ViewsAreStoredAsTheirOwnBytes) {
  PromptEmbeddingCache cache(1000);
  const at::Tensor padded = at::ones({512, 4});
  cache.insert(key("view"), padded.narrow(0, 0, 3));
  EXPECT_EQ(cache.stats().bytes, 3 * 4 * 4);
  const at::Tensor stored = *cache.lookup(key("view"));
  EXPECT_EQ(static_cast<int64_t>(stored.storage().nbytes()), 3 * 4 * 4);
}

TEST(FileIdentity, ChangesWhenTheFileChanges) {
  motionfarm::testing::ScratchDir folder("identity");
  const std::string path = folder.file("weights.safetensors");
  std::ofstream(path) << "first";
  const std::string first = file_identity({path});
  EXPECT_EQ(file_identity({path}), first);
  std::ofstream(path) << "second version";
  EXPECT_NE(file_identity({path}), first);
  EXPECT_THROW(file_identity({folder.file("missing")}), InputError);
}

class Umt5PromptEncoderTest : public ::testing::Test {
 protected:
  static constexpr int64_t kTextLen = 32;

  Umt5PromptEncoder make(PromptEmbeddingCache* cache,
                         OverLengthPolicy policy = OverLengthPolicy::kReject) {
    Umt5Config config = load_umt5_config_file(encoder_golden_path("umt5_tiny.json"));
    config.text_len = kTextLen;
    const auto weights =
        io::SafetensorsCheckpoint::open(encoder_golden_path("umt5_tiny.safetensors"));
    TokenizerOptions options;
    options.text_len = kTextLen;
    options.over_length = policy;
    const std::string tokenizer_path = TrainedSentencePiece::get().model_path();
    return Umt5PromptEncoder(Umt5Encoder::load(weights, config),
                             PromptTokenizer::open(tokenizer_path, options),
                             umt5_encoder_identity(weights, tokenizer_path, {}), cache);
  }
};

TEST_F(Umt5PromptEncoderTest, ThousandAssetsSharingTwentyPromptsEncodeTwentyTimes) {
  PromptEmbeddingCache cache(64 << 20);
  Umt5PromptEncoder encoder = make(&cache);
  std::vector<at::Tensor> first(20);
  for (int asset = 0; asset < 1000; ++asset) {
    const int prompt = asset % 20;
    const at::Tensor states = encoder.encode("a red fox, shot " + std::to_string(prompt));
    if (asset < 20) {
      first[prompt] = states;
    } else {
      ASSERT_TRUE(at::equal(states, first[prompt])) << "asset " << asset;
    }
  }
  EXPECT_EQ(encoder.encoder_runs(), 20);
  EXPECT_EQ(cache.stats().misses, 20);
  EXPECT_EQ(cache.stats().hits, 980);
  EXPECT_EQ(cache.stats().entries, 20);
}

TEST_F(Umt5PromptEncoderTest, ReturnsThePromptsRealTokensAsTheReferenceDoes) {
  Umt5PromptEncoder encoder = make(nullptr);
  const std::string prompt = "赤い狐が雪の中を走る 🦊";
  const TokenizedPrompt tokens = encoder.tokenizer().tokenize(prompt);
  const at::Tensor states = encoder.encode(prompt);
  ASSERT_EQ(states.sizes(), (std::vector<int64_t>{tokens.length, 64}));
  // T5EncoderModel runs the padded batch and trims each prompt to its mask's length.
  const at::Tensor padded = encoder.encoder().forward(tokens.ids_tensor(), tokens.mask_tensor());
  testing::expect_close_to_reference(states, padded[0].narrow(0, 0, tokens.length), 1e-5);
  EXPECT_EQ(encoder.encoder_runs(), 1);
  encoder.encode(prompt);
  EXPECT_EQ(encoder.encoder_runs(), 2) << "without a cache every call encodes";
}

TEST_F(Umt5PromptEncoderTest, OverLengthPromptIsRejectedEvenWhenCached) {
  PromptEmbeddingCache cache(64 << 20);
  std::string long_prompt;
  for (int i = 0; i < 10; ++i) long_prompt += "the camera slowly pans across a quiet lake ";
  Umt5PromptEncoder lenient = make(&cache, OverLengthPolicy::kTruncate);
  EXPECT_EQ(lenient.encode(long_prompt).size(0), kTextLen);
  Umt5PromptEncoder strict = make(&cache, OverLengthPolicy::kReject);
  EXPECT_THROW(strict.encode(long_prompt), InputError);
}

}  // namespace
}  // namespace motionfarm::model
