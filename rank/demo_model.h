// The demo model: a toy Wan2.1 I2V model (preset demo-i2v) whose weights motionfarm generates
// deterministically, so a fresh machine with no checkpoints can run the whole pipeline
// (scripts/demo, the end-to-end tests).
//
// IT IS NOT TRAINED. Its clips check the pipeline (files, shapes, streaming, encoding); they do
// not show the prompt. Every file carries the label in its safetensors metadata
// (kUntrainedMetadataKey), so every clip rendered from it says so in its title.
//
// The files are the release names of ModelFiles::in_folder in a cache folder,
// `<root>/<preset>-<hash>`, where root is $MOTIONFARM_DEMO_CACHE, else
// $XDG_CACHE_HOME/motionfarm, else ~/.cache/motionfarm, and the hash covers the generator version,
// the preset's config files and the tokenizer corpus (configs/demo/tokenizer_corpus.txt): changing
// any of them makes a new folder. The tokenizer is trained on that corpus with Debian's spm_train.
//
// Other test presets with their own component configs (configs/models/components/<preset>/, e.g.
// demo-i2v-bench, whose DiT is sized so it dominates a task as a real one does) are generated
// the same way by ensure_generated_model.
#pragma once

#include <cstdint>
#include <string>

#include "rank/model_files.h"
#include "rank/model_preset.h"

namespace motionfarm::rank {

inline constexpr char kDemoPresetName[] = "demo-i2v";
inline constexpr char kDemoLabel[] =
    "DEMO MODEL (generated, untrained weights): a pipeline check, not a video of the prompt";
inline constexpr uint64_t kDemoSeed = 20250101;

struct DemoModel {
  std::string folder;
  ModelPreset preset;
  ModelFiles files;
  bool generated = false;  // true when this call generated the files (else they were cached)
};

// The folder demo models are cached under (see the file comment).
std::string demo_cache_root();

// The demo model, generated into the cache first when it is not there. Safe to call from several
// processes at once: each generates into its own temporary folder and the first rename wins.
// Throws Error when spm_train is missing or a file cannot be written.
DemoModel ensure_demo_model();

// The same for any preset named demo-* or tiny-* that has its components folder (every part at
// toy size): throws ConfigError naming the preset otherwise, since a released model's text
// encoder alone would be gigabytes of random numbers.
DemoModel ensure_generated_model(const std::string& preset_name);

// Whether ensure_generated_model can make `preset_name` (see there).
bool can_generate_model(const std::string& preset_name);

// Trains a unigram SentencePiece model on `corpus` (T5's special ids: pad 0, EOS 1, unk 2, no
// BOS; `vocab_size` a soft limit) into `model_path` with spm_train, byte-identical on every run.
// Throws Error with spm_train's output when it fails or is not installed.
void train_sentencepiece(const std::string& corpus, const std::string& model_path,
                         int64_t vocab_size);

}  // namespace motionfarm::rank
