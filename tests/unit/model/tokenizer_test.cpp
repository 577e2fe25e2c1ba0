// The umT5 prompt tokenizer against the SentencePiece CLI on a model trained in the test: EOS,
// padding and mask, non-ASCII prompts, the empty prompt, and over-length prompts in strict and
// lenient mode; and the reference's text cleaning.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "model/tokenizer.h"
#include "model/tokenizer_text_clean.h"
#include "tests/support/test_paths.h"
#include "tests/unit/model/encoder_test_support.h"

namespace motionfarm::model {
namespace {

using testing::TrainedSentencePiece;

PromptTokenizer open_tokenizer(int64_t text_len, OverLengthPolicy policy) {
  TokenizerOptions options;
  options.text_len = text_len;
  options.over_length = policy;
  return PromptTokenizer::open(TrainedSentencePiece::get().model_path(), options);
}

// Checks the layout tokenize() promises: the reference's pieces, EOS, then padding.
void expect_tokens(const TokenizedPrompt& tokens, const std::vector<int64_t>& pieces,
                   int64_t text_len) {
  ASSERT_EQ(static_cast<int64_t>(tokens.ids.size()), text_len);
  ASSERT_EQ(tokens.length, static_cast<int64_t>(pieces.size()) + 1);
  EXPECT_EQ(tokens.full_length, tokens.length);
  EXPECT_FALSE(tokens.truncated());
  const std::vector<int64_t> real(tokens.ids.begin(), tokens.ids.begin() + tokens.length - 1);
  EXPECT_EQ(real, pieces);
  EXPECT_EQ(tokens.ids[tokens.length - 1], 1) << "EOS follows the prompt";
  for (int64_t i = tokens.length; i < text_len; ++i) EXPECT_EQ(tokens.ids[i], 0) << "pad at " << i;
  const at::Tensor mask = tokens.mask_tensor();
  EXPECT_EQ(mask.sizes(), (std::vector<int64_t>{1, text_len}));
  EXPECT_EQ(mask.sum().item<int64_t>(), tokens.length);
  EXPECT_EQ(mask[0][tokens.length - 1].item<int64_t>(), 1);
  EXPECT_TRUE(
      at::equal(tokens.ids_tensor()[0].narrow(0, 0, tokens.length), tokens.real_ids_tensor()));
}

TEST(Tokenizer, MatchesSentencePieceThenEosThenPadding) {
  const PromptTokenizer tokenizer = open_tokenizer(32, OverLengthPolicy::kReject);
  EXPECT_EQ(tokenizer.eos_id(), 1);
  EXPECT_EQ(tokenizer.pad_id(), 0);
  EXPECT_LE(tokenizer.vocab_size(), 300);
  const std::string prompt = "a red fox runs through the snow";
  const std::vector<int64_t> pieces = TrainedSentencePiece::get().reference_ids(prompt);
  ASSERT_FALSE(pieces.empty());
  expect_tokens(tokenizer.tokenize(prompt), pieces, 32);
}

TEST(Tokenizer, NonAsciiPromptsMatchSentencePiece) {
  const PromptTokenizer tokenizer = open_tokenizer(48, OverLengthPolicy::kReject);
  for (const std::string prompt :
       {"赤い狐が雪の中を走る", "Café crème brûlée, déjà vu", "Über den Straßen",
        "a 🦊 in the 🌧 rain", "an unseen emoji 🚀 and kanji 龍"}) {
    SCOPED_TRACE(prompt);
    const std::vector<int64_t> pieces = TrainedSentencePiece::get().reference_ids(prompt);
    ASSERT_FALSE(pieces.empty());
    expect_tokens(tokenizer.tokenize(prompt), pieces, 48);
  }
  // Characters of the training text are pieces, not the unknown id (2).
  for (int64_t id : tokenizer.tokenize("赤い狐 🦊 brûlée").ids) EXPECT_NE(id, 2);
}

TEST(Tokenizer, EmptyPromptIsJustEos) {
  const PromptTokenizer tokenizer = open_tokenizer(8, OverLengthPolicy::kReject);
  for (const std::string prompt : {"", "   ", " \t\n\u3000 "}) {
    const TokenizedPrompt tokens = tokenizer.tokenize(prompt);
    EXPECT_EQ(tokens.length, 1);
    EXPECT_EQ(tokens.ids, (std::vector<int64_t>{1, 0, 0, 0, 0, 0, 0, 0}));
  }
}

TEST(Tokenizer, CleansWhitespaceBeforeTokenizing) {
  const PromptTokenizer tokenizer = open_tokenizer(32, OverLengthPolicy::kReject);
  EXPECT_EQ(tokenizer.tokenize("  a red\n\n fox\u00a0runs &amp; ").ids,
            tokenizer.tokenize("a red fox runs &").ids);
}

TEST(Tokenizer, OverLengthPromptIsRejectedInStrictMode) {
  const std::string prompt = "the camera slowly pans across a quiet mountain lake at dawn";
  const int64_t needed =
      static_cast<int64_t>(TrainedSentencePiece::get().reference_ids(prompt).size()) + 1;
  ASSERT_GT(needed, 4);
  // Exactly text_len tokens (EOS included) fits; one fewer does not.
  EXPECT_EQ(open_tokenizer(needed, OverLengthPolicy::kReject).tokenize(prompt).length, needed);
  try {
    open_tokenizer(needed - 1, OverLengthPolicy::kReject).tokenize(prompt);
    FAIL() << "an over-length prompt was accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what())
                  .find("prompt is " + std::to_string(needed) +
                        " tokens, the model takes at most " + std::to_string(needed - 1)),
              std::string::npos)
        << error.what();
  }
}

TEST(Tokenizer, OverLengthPromptIsTruncatedAndReportedInLenientMode) {
  const std::string prompt = "the camera slowly pans across a quiet mountain lake at dawn";
  const std::vector<int64_t> pieces = TrainedSentencePiece::get().reference_ids(prompt);
  const int64_t text_len = 5;
  ASSERT_GT(static_cast<int64_t>(pieces.size()), text_len);
  const TokenizedPrompt tokens =
      open_tokenizer(text_len, OverLengthPolicy::kTruncate).tokenize(prompt);
  EXPECT_TRUE(tokens.truncated());
  EXPECT_EQ(tokens.full_length, static_cast<int64_t>(pieces.size()) + 1);
  EXPECT_EQ(tokens.length, text_len);
  // As the reference: the first text_len - 1 pieces, then EOS.
  std::vector<int64_t> expected(pieces.begin(), pieces.begin() + text_len - 1);
  expected.push_back(1);
  EXPECT_EQ(tokens.ids, expected);
  EXPECT_EQ(tokens.mask_tensor().sum().item<int64_t>(), text_len);
}

TEST(Tokenizer, MissingOrInvalidModelIsAnInputError) {
  EXPECT_THROW(PromptTokenizer::open("/nonexistent/spiece.model"), InputError);
  motionfarm::testing::ScratchDir folder("tokenizer");
  std::ofstream(folder.file("bad.model")) << "not a sentencepiece model";
  EXPECT_THROW(PromptTokenizer::open(folder.file("bad.model")), InputError);
  TokenizerOptions options;
  options.text_len = 0;
  EXPECT_THROW(PromptTokenizer::open(TrainedSentencePiece::get().model_path(), options),
               ConfigError);
}

TEST(PromptTextClean, CollapsesUnicodeWhitespaceAndStrips) {
  EXPECT_EQ(clean_prompt_text("  a\u00a0\u3000b\n\t c\u2028d  "), "a b c d");
  EXPECT_EQ(collapse_whitespace("\u2003x\u2009\u2009y\u0085"), "x y");
  EXPECT_EQ(clean_prompt_text(""), "");
  EXPECT_EQ(clean_prompt_text(" \n "), "");
}

TEST(PromptTextClean, UnescapesHtmlTwiceAsTheReference) {
  EXPECT_EQ(clean_prompt_text("Tom &amp;amp; Jerry"), "Tom & Jerry");
  EXPECT_EQ(clean_prompt_text("&lt;b&gt; bold &quot;text&quot;"), "<b> bold \"text\"");
  EXPECT_EQ(unescape_html_entities("&#233;t&#xE9; &eacute;"), "\u00e9t\u00e9 \u00e9");
  // html.unescape's corner cases: legacy names without ';', unknown names, C1 and NUL references.
  EXPECT_EQ(unescape_html_entities("&ampx &notit; &unknown; &#x80; &#0; &# &"),
            "&x \u00acit; &unknown; \u20ac \ufffd &# &");
  EXPECT_EQ(unescape_html_entities("&hellip;&mdash;&nbsp;"), "\u2026\u2014\u00a0");
}

TEST(PromptTextClean, AppliesTheFtfyFixesPromptsNeed) {
  EXPECT_EQ(clean_prompt_text("\u201cquoted\u201d and \u2018single\u2019"),
            "\"quoted\" and 'single'");
  EXPECT_EQ(clean_prompt_text("\ufb01ne \ufb02ow"), "fine flow");
  EXPECT_EQ(clean_prompt_text("\uff21\uff22\uff23\uff11"), "ABC1");
  EXPECT_EQ(clean_prompt_text("red\x1b[31m fox\x07\ufeff"), "red fox");
  // Non-ASCII text that needs no fixing passes unchanged.
  EXPECT_EQ(clean_prompt_text("赤い狐 🦊 brûlée"), "赤い狐 🦊 brûlée");
  // Invalid UTF-8 bytes become U+FFFD.
  EXPECT_EQ(clean_prompt_text(std::string("a\xff") + "b"), "a\ufffdb");
}

}  // namespace
}  // namespace motionfarm::model
