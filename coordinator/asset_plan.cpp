#include "coordinator/asset_plan.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "coordinator/manifest_naming.h"
#include "io/output_format.h"
#include "model/seeded_noise.h"
#include "rank/file_checksum.h"

namespace motionfarm::coordinator {

namespace fs = std::filesystem;

namespace {

std::string hex_hash(const std::string& text) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(model::fnv1a64(text.data(), text.size())));
  return hex;
}

std::string number(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

}  // namespace

std::string latent_folder(const std::string& state_dir, const std::string& asset_id) {
  return (fs::path(state_dir) / "latents" / asset_id).string();
}

AssetPlan plan_asset(const Job& job, const AssetSpec& asset, const std::string& date) {
  AssetPlan plan;
  rank::AssetRender& r = plan.render;
  r.id = asset.id;
  r.image = asset.image;
  r.prompt = asset.prompt;
  r.negative_prompt = asset.sampler.negative_prompt;
  r.seed = asset.seed;
  r.width = asset.width;
  r.height = asset.height;
  r.fps = asset.fps;
  r.sampler = asset.sampler.name;
  r.steps = asset.sampler.steps;
  r.shift = asset.sampler.shift;
  // A preset with experts and no guidance in the manifest: each expert's scale from the preset.
  if (job.model.facts.experts.empty() || asset.sampler.guidance_given) {
    r.guidance = asset.sampler.guidance;
  } else {
    r.guidance.reset();
  }
  r.anchor = asset.extension.anchor;
  r.renoise = asset.extension.renoise;
  r.color_match = asset.extension.color_match;
  std::string segments;
  for (const SegmentPlan& s : asset.segments) {
    r.segments.push_back({s.frames, s.context_frames, s.new_frames});
    segments += std::to_string(s.frames) + "/" + std::to_string(s.context_frames) + "/" +
                std::to_string(s.new_frames) + " ";
  }
  for (const std::string& format : asset.formats) {
    NamingValues values;
    values.job = job.name;
    values.asset = asset.id;
    values.seed = asset.seed;
    values.date = date;
    values.format = format;
    values.index = asset.index;
    const std::string relative = deliverable_relative_path(job.output.naming, values);
    r.deliverables.push_back({format,
                              (fs::path(job.output.root) / relative).lexically_normal().string(),
                              job.output.root});
  }

  const WeightPaths& w = job.model.weights;
  std::map<std::string, std::string>& f = plan.facts;
  f["model.preset"] = job.model.preset;
  f["model.weights"] = w.random ? "random"
                                : w.release_folder + "|" + w.dit + "|" + w.vae + "|" +
                                      w.text_encoder + "|" + w.tokenizer + "|" + w.image_encoder;
  f["image"] = asset.image;
  f["image.checksum"] = asset.image.empty() ? "" : rank::file_checksum(asset.image);
  f["prompt"] = asset.prompt;
  f["negative_prompt"] = asset.sampler.negative_prompt;
  f["seed"] = std::to_string(asset.seed);
  f["resolution"] = std::to_string(asset.width) + "x" + std::to_string(asset.height);
  f["fps"] = number(asset.fps);
  f["frames"] = std::to_string(asset.total_frames);
  f["sampler"] = asset.sampler.name;
  f["steps"] = std::to_string(asset.sampler.steps);
  f["shift"] = number(asset.sampler.shift);
  f["guidance"] = r.guidance ? number(*r.guidance) : std::string("per expert, from the preset");
  f["extension"] = "anchor=" + std::to_string(asset.extension.anchor) +
                   " renoise=" + number(asset.extension.renoise) +
                   " color_match=" + std::to_string(asset.extension.color_match);
  f["segments"] = segments;
  plan.facts_json = nlohmann::json(f).dump();
  plan.facts_hash = hex_hash(plan.facts_json);
  std::string delivery;
  for (const rank::Deliverable& d : r.deliverables) delivery += d.format + "=" + d.path + "\n";
  plan.delivery_hash = hex_hash(delivery);
  return plan;
}

std::vector<std::string> changed_facts(const std::string& before, const std::string& after) {
  const nlohmann::json a = nlohmann::json::parse(after);
  nlohmann::json b;
  try {
    b = nlohmann::json::parse(before);
  } catch (const nlohmann::json::exception&) {
    b = nlohmann::json::object();
  }
  std::vector<std::string> changed;
  for (const auto& [key, value] : a.items()) {
    if (!b.contains(key) || b[key] != value) changed.push_back(key);
  }
  return changed;
}

}  // namespace motionfarm::coordinator
