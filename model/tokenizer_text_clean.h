// Prompt text cleaning before tokenization, as the Wan reference's HuggingfaceTokenizer does with
// clean='whitespace' (wan/modules/tokenizers.py): ftfy.fix_text, html.unescape twice, strip, then
// every run of Unicode whitespace collapsed to one space and the ends stripped.
//
// ftfy is a Python library; of fix_text's default fixes this keeps the ones that change prompts
// people type: removing terminal escapes and control characters, straightening curly quotes,
// splitting Latin ligatures and mapping fullwidth ASCII to ASCII. Not done: repairing mojibake
// (UTF-8 decoded as another code page), NFC normalisation (the SentencePiece model's own NFKC
// normaliser composes characters anyway) and halfwidth-katakana widening. html.unescape is done
// for numeric references and the named entities prompts use (docs/encoders.md lists them); other
// named entities stay as written.
#pragma once

#include <string>

namespace motionfarm::model {

// The whole cleaning above. Input and output are UTF-8; an invalid byte becomes U+FFFD, as
// Python's decode(errors='replace') would make it.
std::string clean_prompt_text(const std::string& text);

// One pass of html.unescape: `&amp;`, `&#233;`, `&#xE9;` and the known named entities; an unknown
// or malformed reference stays as written.
std::string unescape_html_entities(const std::string& text);

// Runs of Unicode whitespace (Python's \s on str) become one space; leading/trailing ones go.
std::string collapse_whitespace(const std::string& text);

}  // namespace motionfarm::model
