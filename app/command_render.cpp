// motionfarm render: one image + prompt -> one clip, in this process (the single-process
// pipeline of rank/i2v_pipeline.h). `--demo` renders with the generated, untrained demo model.
#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/command.h"
#include "app/options.h"
#include "core/check.h"
#include "core/exit_codes.h"
#include "io/image_fit.h"
#include "io/output_format.h"
#include "io/video_writer_options.h"
#include "model/prompt_cache.h"
#include "model/sampler.h"
#include "rank/demo_model.h"
#include "rank/denoiser.h"
#include "rank/i2v_pipeline.h"
#include "rank/model_bundle.h"
#include "rank/model_files.h"
#include "rank/model_preset.h"
#include "rank/render_request.h"

namespace motionfarm::app {

namespace po = boost::program_options;

namespace {

// Defaults that differ between a real model and the toy demo model (which must finish in
// seconds on two cores). The demo's operations are too small to gain from more threads, and on a
// busy machine OpenMP threads waiting for each other made it several times slower.
struct RenderDefaults {
  int64_t frames;
  int64_t area;
  int64_t steps;
  double shift;
  int64_t threads;  // 0: LibTorch's default
};
constexpr RenderDefaults kModelDefaults{81, int64_t{480} * 832, 40, 5.0, 0};
constexpr RenderDefaults kDemoDefaults{17, int64_t{192} * 192, 8, 3.0, 1};

template <class T>
T value_or(const po::variables_map& values, const char* name, T fallback) {
  return values.count(name) ? values[name].as<T>() : fallback;
}

std::string text_or(const po::variables_map& values, const char* name) {
  return value_or<std::string>(values, name, "");
}

// "832x480" -> {832, 480}.
io::FrameSize parse_size(const std::string& text) {
  const size_t x = text.find('x');
  io::FrameSize size;
  try {
    MF_CHECK(x != std::string::npos, ConfigError, "");
    size_t used = 0;
    size.width = std::stoll(text.substr(0, x), &used);
    MF_CHECK_EQ(used, x, ConfigError, "");
    size.height = std::stoll(text.substr(x + 1), &used);
    MF_CHECK_EQ(used, text.size() - x - 1, ConfigError, "");
  } catch (const std::exception&) {
    throw ConfigError("--size '" + text + "' is not WIDTHxHEIGHT, e.g. 832x480");
  }
  return size;
}

// --format, or what the --out path's extension says (a path without one is a PNG folder).
io::OutputFormat output_format(const std::string& format, const std::string& out) {
  const std::string extension = std::filesystem::path(out).extension().string();
  if (format == "av1") {
    return extension == ".webm" ? io::OutputFormat::Av1Webm : io::OutputFormat::Av1Mp4;
  }
  if (!format.empty()) return io::parse_output_format(format);
  if (extension == ".webm") return io::OutputFormat::Vp9Webm;
  if (extension == ".mov") return io::OutputFormat::ProresMov;
  if (extension == ".gif") return io::OutputFormat::Gif;
  if (extension == ".webp") return io::OutputFormat::WebpAnimated;
  if (extension.empty()) return io::OutputFormat::PngSequence;
  return io::OutputFormat::H264Mp4;
}

at::Device parse_device(const std::string& text) {
  at::Device device(at::kCPU);
  try {
    device = at::Device(text);
  } catch (const std::exception&) {
    throw ConfigError("--device '" + text + "' is not a device: use cpu, cuda or cuda:N");
  }
  MF_CHECK(device.is_cpu() || device.is_cuda(), ConfigError,
           "--device " << text << ": motionfarm renders on cpu or cuda");
  MF_CHECK(!device.is_cuda() || at::hasCUDA(), ConfigError,
           "--device " << text << ": this LibTorch build has no CUDA (see docs/building.md)");
  return device;
}

// --threads, else $MOTIONFARM_TORCH_THREADS, else `fallback` (0: LibTorch's default, all cores).
void set_threads(const po::variables_map& values, int64_t fallback) {
  int64_t threads = value_or<int64_t>(values, "threads", 0);
  if (threads == 0) {
    const char* env = std::getenv("MOTIONFARM_TORCH_THREADS");
    threads = env != nullptr ? std::atoll(env) : fallback;
  }
  MF_CHECK_GE(threads, 0, ConfigError, "--threads must not be negative");
  if (threads > 0) at::set_num_threads(static_cast<int>(threads));
}

void print_result(const rank::RenderResult& result) {
  const rank::StageTimings& s = result.seconds;
  std::printf(
      "wrote %s: %lld frames at %lldx%lld\n"
      "time   load %.2f s, text %.2f s, image %.2f s, sample %.2f s, decode %.2f s, encode "
      "%.2f s\nmemory peak %.0f MiB resident\n",
      result.output_path.c_str(), static_cast<long long>(result.frames),
      static_cast<long long>(result.size.width), static_cast<long long>(result.size.height), s.load,
      s.text, s.image, s.sample, s.decode, s.encode,
      static_cast<double>(result.peak_resident_bytes) / (1024.0 * 1024.0));
  if (!result.untrained_label.empty()) {
    std::printf("NOTE   this clip comes from an UNTRAINED model: %s\n",
                result.untrained_label.c_str());
  }
}

}  // namespace

int run_render_command(const std::vector<std::string>& args) {
  po::options_description options(
      "motionfarm render --image IN --prompt TEXT --out PATH [options]: one image + prompt -> one "
      "clip, in this process.\nWeights: --weights FOLDER (release file names, docs/models.md) "
      "and/or --dit/--vae/--text-encoder/--tokenizer/--image-encoder FILE; --demo uses the "
      "generated, untrained demo model");
  // clang-format off
  options.add_options()
      ("help,h", "show this help")
      ("image", po::value<std::string>()->required(), "input image (PNG, JPEG, WebP, TIFF, BMP)")
      ("last-image", po::value<std::string>(), "last frame (first+last-frame presets)")
      ("prompt", po::value<std::string>()->required(), "what should happen in the clip")
      ("negative-prompt", po::value<std::string>(), "what to steer away from (default: empty)")
      ("frames", po::value<int64_t>(), "frames, 4n+1 (default 81; demo 17)")
      ("size", po::value<std::string>(), "WIDTHxHEIGHT, multiples of the model's stride")
      ("area", po::value<int64_t>(), "pixels when --size is not given; the image's aspect is kept "
                                     "(default 480*832; demo 192*192)")
      ("fit", po::value<std::string>()->default_value("cover"), "cover, contain or stretch")
      ("steps", po::value<int64_t>(), "sampling steps (default: the preset's, else 40; demo 8)")
      ("shift", po::value<double>(), "flow schedule shift (default: the preset's, else 5.0; demo 3.0)")
      ("guidance", po::value<double>(), "classifier-free guidance scale for every step (default: "
                                        "the preset's, per expert for two-expert presets, else 5.0)")
      ("sampler", po::value<std::string>()->default_value("unipc"), "unipc or euler")
      ("seed", po::value<uint64_t>()->default_value(0), "noise seed")
      ("asset-id", po::value<std::string>()->default_value("render"),
       "asset id: part of the noise key, as in a manifest")
      ("fps", po::value<std::string>()->default_value("16"), "frame rate, e.g. 16 or 24000/1001")
      ("format", po::value<std::string>(),
       "mp4, webm, av1, prores, png, webp, gif, ... (default: from --out's extension)")
      ("out", po::value<std::string>()->required(), "the clip (a folder for png)")
      ("preset", po::value<std::string>(), "model preset (configs/models/)")
      ("weights", po::value<std::string>(), "folder with the release files")
      ("dit", po::value<std::string>(), "DiT weights (.safetensors or .index.json)")
      ("vae", po::value<std::string>(), "VAE weights")
      ("text-encoder", po::value<std::string>(), "umT5 weights")
      ("tokenizer", po::value<std::string>(), "umT5 SentencePiece model (spiece.model)")
      ("image-encoder", po::value<std::string>(), "CLIP weights")
      ("demo", po::bool_switch(), "use the generated, UNTRAINED demo model (a pipeline check)")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu, cuda or cuda:N")
      ("threads", po::value<int64_t>(), "CPU threads (default: $MOTIONFARM_TORCH_THREADS, else all; demo 1)");
  // clang-format on
  po::variables_map values;
  if (!parse_subcommand_options("render", args, options, {}, values)) return kExitSuccess;
  const bool demo = values["demo"].as<bool>();
  const RenderDefaults& defaults = demo ? kDemoDefaults : kModelDefaults;
  set_threads(values, defaults.threads);

  rank::ModelPreset preset;
  rank::ModelFiles files;
  if (demo) {
    MF_CHECK(!values.count("preset") || values["preset"].as<std::string>() == rank::kDemoPresetName,
             ConfigError,
             "--demo renders with preset " << rank::kDemoPresetName << "; drop --preset or --demo");
    std::cout << "motionfarm render: " << rank::kDemoLabel << "\n" << std::flush;
    const rank::DemoModel model = rank::ensure_demo_model();
    std::cout << "demo model " << (model.generated ? "generated in " : "cached in ") << model.folder
              << "\n"
              << std::flush;
    preset = model.preset;
    files = model.files;
  } else {
    MF_CHECK(values.count("preset"), ConfigError,
             "pass --preset NAME (configs/models/), or --demo for the untrained demo model");
    preset = rank::load_model_preset(values["preset"].as<std::string>());
    if (values.count("weights")) {
      files = rank::ModelFiles::in_folder(values["weights"].as<std::string>(), preset);
    }
  }
  rank::ModelFiles explicit_files;
  explicit_files.dit = text_or(values, "dit");
  explicit_files.vae = text_or(values, "vae");
  explicit_files.text_encoder = text_or(values, "text-encoder");
  explicit_files.tokenizer = text_or(values, "tokenizer");
  explicit_files.image_encoder = text_or(values, "image-encoder");
  files = files.overridden_by(explicit_files);

  rank::RenderRequest request;
  request.image = values["image"].as<std::string>();
  request.last_image = text_or(values, "last-image");
  request.prompt = values["prompt"].as<std::string>();
  request.negative_prompt = text_or(values, "negative-prompt");
  request.seed = values["seed"].as<uint64_t>();
  request.asset_id = values["asset-id"].as<std::string>();
  request.frames = value_or(values, "frames", defaults.frames);
  if (values.count("size")) request.size = parse_size(values["size"].as<std::string>());
  request.area = value_or(values, "area", defaults.area);
  request.fit = io::parse_fit_mode(values["fit"].as<std::string>());
  // The preset's sampling defaults (the public configs' sample_steps / sample_shift) come before
  // the command's own; guidance left unset takes the preset's, per expert (rank/i2v_pipeline.h).
  request.steps = value_or(values, "steps", preset.sampling.steps.value_or(defaults.steps));
  request.shift = value_or(values, "shift", preset.sampling.shift.value_or(defaults.shift));
  if (values.count("guidance")) request.guidance = values["guidance"].as<double>();
  request.sampler = model::parse_sampler_kind(values["sampler"].as<std::string>());
  request.output_path = values["out"].as<std::string>();
  request.output.format = output_format(text_or(values, "format"), request.output_path);
  request.output.frame_rate = io::parse_frame_rate(values["fps"].as<std::string>());
  // Everything the command line can check is checked before the models load.
  request.validate();

  model::PromptEmbeddingCache prompt_cache(int64_t{64} * 1024 * 1024);
  rank::BundleOptions bundle_options;
  bundle_options.device = parse_device(values["device"].as<std::string>());
  bundle_options.prompt_cache = &prompt_cache;
  rank::ModelBundle bundle = rank::ModelBundle::load(preset, files, bundle_options);
  // One denoiser per DiT: the preset's experts (Wan2.2 A14B) all stay loaded in this process.
  std::vector<std::unique_ptr<rank::LocalDenoiser>> denoisers;
  rank::ExpertDenoisers borrowed;
  for (int64_t i = 0; i < preset.dit_count(); ++i) {
    denoisers.push_back(std::make_unique<rank::LocalDenoiser>(bundle.dit(i)));
    borrowed.push_back(denoisers.back().get());
  }
  rank::I2VPipeline pipeline(bundle, borrowed);
  print_result(pipeline.render(request));
  return kExitSuccess;
}

}  // namespace motionfarm::app
