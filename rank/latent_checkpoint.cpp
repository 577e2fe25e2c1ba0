#include "rank/latent_checkpoint.h"

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "core/check.h"
#include "core/error.h"
#include "core/log.h"
#include "io/checkpoint_interval.h"
#include "io/xxhash64.h"

namespace motionfarm::rank {

namespace fs = std::filesystem;

namespace {

std::string hex(uint64_t value) {
  std::ostringstream text;
  text << std::hex << value;
  return text.str();
}

std::string hash_of(const std::string& text) { return hex(io::xxhash64(text.data(), text.size())); }

}  // namespace

std::string latent_store_path(const std::string& latent_folder) {
  return (fs::path(latent_folder) / "latents.h5").string();
}

io::LatentStoreIdentity latent_store_identity(const AssetRender& asset,
                                              const std::string& model_id) {
  // The deliverables (formats, paths) and the fps do not change latents, so they stay out:
  // adding a WebM to a finished job re-encodes without re-sampling.
  nlohmann::json settings = {
      {"image", asset.image},
      {"width", asset.width},
      {"height", asset.height},
      {"sampler", asset.sampler},
      {"steps", asset.steps},
      {"shift", asset.shift},
      {"guidance", asset.guidance ? nlohmann::json(*asset.guidance) : nlohmann::json("preset")},
      {"anchor", asset.anchor},
      {"renoise", asset.renoise},
      {"color_match", asset.color_match}};
  nlohmann::json segments = nlohmann::json::array();
  for (const SegmentWork& segment : asset.segments) {
    segments.push_back({segment.frames, segment.context_frames, segment.new_frames});
  }
  settings["segments"] = segments;
  io::LatentStoreIdentity identity;
  identity.model_id = model_id;
  identity.model_config_hash = hash_of(settings.dump());
  identity.seed = asset.seed;
  identity.prompt_hash = hash_of(nlohmann::json({asset.prompt, asset.negative_prompt}).dump());
  return identity;
}

io::LatentStore open_or_create_latent_store(const std::string& path,
                                            const io::LatentStoreIdentity& identity,
                                            std::string* problem) {
  if (problem) problem->clear();
  io::LatentStoreMeta meta;
  meta.identity = identity;
  if (!fs::exists(path)) {
    fs::create_directories(fs::path(path).parent_path());
    return io::LatentStore::create(path, meta);
  }
  try {
    return io::LatentStore::open(path, identity);
  } catch (const CheckpointError& error) {
    // Never reused, never silently dropped: kept aside for inspection, and the segments redone.
    MF_LOG(Warn, "checkpoint") << "latent store '" << path << "' cannot be used, its segments are "
                               << "recomputed: " << error.what();
    if (problem) *problem = error.what();
    std::error_code ignored;
    fs::rename(path, path + ".rejected", ignored);
    return io::LatentStore::create(path, meta);
  }
}

io::SamplingState to_stored_state(const SamplingCheckpoint& checkpoint) {
  const model::SamplerState& sampler = checkpoint.sampler;
  io::SamplingState state;
  state.sampler = sampler.sampler;
  state.num_steps = sampler.num_steps;
  state.shift = sampler.shift;
  state.step_index = sampler.step_index;
  state.latent = checkpoint.latent.to(at::kCPU);
  for (const at::Tensor& output : sampler.model_outputs) {
    state.model_outputs.push_back(output.to(at::kCPU));
  }
  if (sampler.last_sample.defined()) state.last_sample = sampler.last_sample.to(at::kCPU);
  return state;
}

SamplingCheckpoint from_stored_state(const io::SamplingState& state) {
  SamplingCheckpoint checkpoint;
  checkpoint.sampler.sampler = state.sampler;
  checkpoint.sampler.num_steps = state.num_steps;
  checkpoint.sampler.shift = state.shift;
  checkpoint.sampler.step_index = state.step_index;
  checkpoint.sampler.model_outputs = state.model_outputs;
  checkpoint.sampler.last_sample = state.last_sample;
  checkpoint.latent = state.latent;
  return checkpoint;
}

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

StateCheckpointer::StateCheckpointer(io::LatentStore& store, int segment, int64_t num_steps,
                                     int64_t every)
    : StateCheckpointer(std::vector<Target>{Target{&store, segment}}, num_steps, every) {}

StateCheckpointer::StateCheckpointer(std::vector<Target> targets, int64_t num_steps, int64_t every)
    : targets_(std::move(targets)),
      num_steps_(num_steps),
      interval_(every > 0 ? every : 0),
      step_start_(now_seconds()) {}

void StateCheckpointer::after_step(int64_t step_index, const SamplingCheckpoint& after,
                                   bool stopping) {
  after_step(step_index, std::vector<SamplingCheckpoint>{after}, stopping);
}

void StateCheckpointer::after_step(int64_t step_index, const std::vector<SamplingCheckpoint>& after,
                                   bool stopping) {
  MF_CHECK_EQ(after.size(), targets_.size(), Error,
              "a batch checkpoint needs one state per member");
  const double step_seconds = now_seconds() - step_start_;
  const int64_t steps_done = step_index + 1;
  if (steps_done >= num_steps_) return;  // the final latents are written next
  const bool due = interval_ > 0 ? steps_done % interval_ == 0 : true;
  if (stopping || due) {
    const double start = now_seconds();
    bool all_written = true;
    for (size_t i = 0; i < targets_.size(); ++i) {
      const Target& target = targets_[i];
      try {
        target.store->write_state(target.segment, to_stored_state(after[i]));
        ++written_;
      } catch (const Error& error) {
        // A state is insurance, not output: the render goes on (and its group stays in step); a
        // resume then starts from the last state that was written, or from step 0.
        MF_LOG(Warn, "checkpoint") << "segment " << target.segment << " of " << target.store->path()
                                   << ": the sampling state after step " << steps_done
                                   << " was not written, rendering on: " << error.what();
        all_written = false;
      }
    }
    if (all_written && interval_ == 0) {
      interval_ = io::checkpoint_interval_steps(std::max(step_seconds, 1e-6),
                                                std::max(now_seconds() - start, 1e-6));
      MF_LOG(Info, "checkpoint") << "segment " << targets_.front().segment << ": a state every "
                                 << interval_ << " steps (step " << step_seconds
                                 << " s, state write " << now_seconds() - start << " s, "
                                 << targets_.size() << (targets_.size() == 1 ? " store" : " stores")
                                 << ")";
    }
  }
  step_start_ = now_seconds();
}

}  // namespace motionfarm::rank
