// The architecture of the umT5 text encoder (the Wan reference's T5Encoder with a relative
// position bias in every layer), and the tokenizer length it is used with.
//
// Field names are the reference constructor's arguments (wan/modules/t5.py), so the golden cases'
// JSON (`module: umt5_encoder`) reads unchanged; `text_len` is T5EncoderModel's (512 for every
// released Wan model).
#pragma once

#include <cstdint>
#include <string>

namespace YAML {
class Node;
}

namespace motionfarm::model {

struct Umt5Config {
  int64_t vocab = 256384;
  int64_t dim = 4096;
  int64_t dim_attn = 4096;  // q/k/v width: num_heads * head_dim
  int64_t dim_ffn = 10240;
  int64_t num_heads = 64;
  int64_t num_layers = 24;
  int64_t num_buckets = 32;  // relative-position buckets, half per direction
  int64_t max_dist = 128;    // distance from which all positions share the last bucket
  double eps = 1e-6;         // RMSNorm epsilon
  int64_t text_len = 512;    // tokens per prompt after padding/truncation (EOS included)

  // Throws ConfigError naming the first field that cannot work.
  void validate() const;

  int64_t head_dim() const { return dim_attn / num_heads; }
};

// google/umt5-xxl's encoder as Wan2.1/Wan2.2 use it (`umt5_xxl` in wan/modules/t5.py).
Umt5Config umt5_xxl_config();

// Reads a YAML/JSON mapping. Unknown keys are errors; `module` must be `umt5_encoder` when
// present, `shared_pos` must be false (umT5; T5's shared bias is not implemented) and `dropout`
// is accepted and ignored (inference). `source` names the file in messages. Validated.
Umt5Config umt5_config_from_node(const YAML::Node& node, const std::string& source);

// Loads a YAML or JSON file; throws ConfigError naming the file when it is missing or malformed.
Umt5Config load_umt5_config_file(const std::string& path);

}  // namespace motionfarm::model
