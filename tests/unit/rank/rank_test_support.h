// Models for the pipeline tests: the generated demo model (cached under the build folder, shared
// by every test process) and a tiny Wan2.2 TI2V model generated into a scratch folder.
#pragma once

#include <string>

#include "rank/demo_model.h"
#include "rank/model_bundle.h"
#include "rank/model_files.h"
#include "rank/model_preset.h"
#include "rank/render_request.h"
#include "tests/support/test_paths.h"

namespace motionfarm::rank::testing {

// The demo model, generated on first use into MOTIONFARM_TEST_DEMO_CACHE (the build folder).
const DemoModel& demo_model();

// A loaded demo bundle on the CPU (fresh each call).
ModelBundle load_demo_bundle();

// A ti2v preset at toy size: DiT tiny-ti2v, a Wan2.2-layout VAE of width 4, a 1-layer umT5.
ModelPreset tiny_ti2v_preset();
// Its files, generated (seeded weights + the demo tokenizer corpus) into `folder`.
ModelFiles generate_tiny_ti2v_files(const std::string& folder);

// A small, fast request on ../shared/assets/i2v_input.jpg.
RenderRequest small_request(const std::string& output_path);

}  // namespace motionfarm::rank::testing
