#include "tests/unit/rank/rank_test_support.h"

#include <cstdlib>

#include "core/config_paths.h"
#include "model/wan_dit_config.h"
#include "rank/generated_weights.h"

namespace motionfarm::rank::testing {

const DemoModel& demo_model() {
  static const DemoModel model = [] {
    ::setenv("MOTIONFARM_DEMO_CACHE", MOTIONFARM_TEST_DEMO_CACHE, 1);
    return ensure_demo_model();
  }();
  return model;
}

ModelBundle load_demo_bundle() {
  const DemoModel& demo = demo_model();
  return ModelBundle::load(demo.preset, demo.files);
}

ModelPreset tiny_ti2v_preset() {
  ModelPreset preset;
  preset.name = "tiny-ti2v";
  preset.dit = model::load_dit_preset("tiny-ti2v");
  preset.vae = model::wan22_vae_preset();
  preset.vae.dim = 4;
  preset.vae.dec_dim = 4;
  preset.vae.num_res_blocks = 1;
  preset.text_encoder.vocab = 384;
  preset.text_encoder.dim = preset.dit.text_dim;
  preset.text_encoder.dim_attn = preset.dit.text_dim;
  preset.text_encoder.dim_ffn = 64;
  preset.text_encoder.num_heads = 2;
  preset.text_encoder.num_layers = 1;
  preset.text_encoder.text_len = preset.dit.text_len;
  preset.validate();
  return preset;
}

ModelFiles generate_tiny_ti2v_files(const std::string& folder) {
  const ModelPreset preset = tiny_ti2v_preset();
  const ModelFiles files = ModelFiles::in_folder(folder, preset);
  GeneratedWeightsOptions options;
  options.seed = 5;
  write_generated_weights(preset, files, options);
  train_sentencepiece(core::find_config_file("demo/tokenizer_corpus.txt"), files.tokenizer,
                      preset.text_encoder.vocab);
  return files;
}

RenderRequest small_request(const std::string& output_path) {
  RenderRequest request;
  request.image = motionfarm::testing::shared_dir() + "/assets/i2v_input.jpg";
  request.prompt = "a girl smiles and turns her head toward the camera";
  request.negative_prompt = "blurry, static";
  request.seed = 7;
  request.asset_id = "girl";
  request.frames = 5;
  request.size = io::FrameSize{64, 48};
  request.steps = 3;
  request.shift = 3.0;
  request.guidance = 5.0;
  request.output_path = output_path;
  return request;
}

}  // namespace motionfarm::rank::testing
