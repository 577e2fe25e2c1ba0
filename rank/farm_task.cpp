#include "rank/farm_task.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace motionfarm::rank {

using nlohmann::json;

const char* to_string(ReportKind kind) {
  switch (kind) {
    case ReportKind::kReady:
      return "ready";
    case ReportKind::kDone:
      return "done";
    case ReportKind::kFailed:
      return "failed";
    case ReportKind::kInterrupted:
      return "interrupted";
    case ReportKind::kProgress:
      return "progress";
    case ReportKind::kRequeued:
      return "requeued";
  }
  return "?";
}

namespace {

json to_json(const FarmTask& task) {
  const AssetRender& a = task.asset;
  json segments = json::array();
  for (const SegmentWork& s : a.segments) {
    segments.push_back({s.frames, s.context_frames, s.new_frames});
  }
  json deliverables = json::array();
  for (const Deliverable& d : a.deliverables) {
    deliverables.push_back({d.format, d.path, d.root, d.replace});
  }
  return {{"task", task.task},
          {"name", task.name},
          {"kind", task.kind == FarmTaskKind::kSegment ? "segment" : "assembly"},
          {"segment", task.segment_index},
          {"attempt", task.attempt},
          {"latent_folder", task.latent_folder},
          {"expert", task.expert},
          {"begin_step", task.begin_step},
          {"stop_before_step", task.stop_before_step},
          {"fail_on_purpose", task.fail_on_purpose},
          {"asset",
           {{"id", a.id},
            {"image", a.image},
            {"prompt", a.prompt},
            {"negative_prompt", a.negative_prompt},
            {"seed", a.seed},
            {"width", a.width},
            {"height", a.height},
            {"fps", a.fps},
            {"sampler", a.sampler},
            {"steps", a.steps},
            {"shift", a.shift},
            {"guidance", a.guidance ? nlohmann::json(*a.guidance) : nlohmann::json()},
            {"anchor", a.anchor},
            {"renoise", a.renoise},
            {"color_match", a.color_match},
            {"segments", segments},
            {"deliverables", deliverables}}}};
}

FarmTask task_from_json(const json& j) {
  FarmTask task;
  task.task = j.at("task").get<int64_t>();
  task.name = j.at("name").get<std::string>();
  task.kind = j.at("kind").get<std::string>() == "segment" ? FarmTaskKind::kSegment
                                                           : FarmTaskKind::kAssembly;
  task.segment_index = j.at("segment").get<int64_t>();
  task.attempt = j.at("attempt").get<int>();
  task.latent_folder = j.at("latent_folder").get<std::string>();
  task.expert = j.at("expert").get<int64_t>();
  task.begin_step = j.at("begin_step").get<int64_t>();
  task.stop_before_step = j.at("stop_before_step").get<int64_t>();
  task.fail_on_purpose = j.at("fail_on_purpose").get<bool>();
  const json& a = j.at("asset");
  AssetRender& asset = task.asset;
  asset.id = a.at("id").get<std::string>();
  asset.image = a.at("image").get<std::string>();
  asset.prompt = a.at("prompt").get<std::string>();
  asset.negative_prompt = a.at("negative_prompt").get<std::string>();
  asset.seed = a.at("seed").get<uint64_t>();
  asset.width = a.at("width").get<int64_t>();
  asset.height = a.at("height").get<int64_t>();
  asset.fps = a.at("fps").get<double>();
  asset.sampler = a.at("sampler").get<std::string>();
  asset.steps = a.at("steps").get<int64_t>();
  asset.shift = a.at("shift").get<double>();
  if (a.at("guidance").is_null()) {
    asset.guidance.reset();
  } else {
    asset.guidance = a.at("guidance").get<double>();
  }
  asset.anchor = a.at("anchor").get<bool>();
  asset.renoise = a.at("renoise").get<double>();
  asset.color_match = a.at("color_match").get<bool>();
  for (const json& s : a.at("segments")) {
    asset.segments.push_back(
        {s.at(0).get<int64_t>(), s.at(1).get<int64_t>(), s.at(2).get<int64_t>()});
  }
  for (const json& d : a.at("deliverables")) {
    asset.deliverables.push_back({d.at(0).get<std::string>(), d.at(1).get<std::string>(),
                                  d.at(2).get<std::string>(), d.at(3).get<bool>()});
  }
  return task;
}

ReportKind parse_report_kind(const std::string& text) {
  for (ReportKind kind : {ReportKind::kReady, ReportKind::kDone, ReportKind::kFailed,
                          ReportKind::kInterrupted, ReportKind::kProgress, ReportKind::kRequeued}) {
    if (text == to_string(kind)) return kind;
  }
  throw CommError("farm message: unknown report kind '" + text + "'");
}

// A malformed message means the two ends run different builds: unrecoverable for the job.
template <class Fn>
auto parse_or_throw(const std::string& text, const char* what, Fn fn) {
  try {
    return fn(json::parse(text));
  } catch (const json::exception& error) {
    throw CommError(std::string("farm message: malformed ") + what + ": " + error.what());
  }
}

}  // namespace

std::string encode(const Assignment& assignment) {
  if (assignment.stop) return json{{"stop", true}, {"reason", assignment.stop_reason}}.dump();
  json tasks = json::array();
  for (const FarmTask& task : assignment.tasks) tasks.push_back(to_json(task));
  return json{{"stop", false}, {"tasks", tasks}}.dump();
}

Assignment decode_assignment(const std::string& text) {
  return parse_or_throw(text, "assignment", [](const json& j) {
    Assignment assignment;
    assignment.stop = j.at("stop").get<bool>();
    if (assignment.stop) {
      assignment.stop_reason = j.at("reason").get<std::string>();
    } else {
      for (const json& task : j.at("tasks")) assignment.tasks.push_back(task_from_json(task));
    }
    return assignment;
  });
}

std::string encode(const TaskReport& r) {
  json outputs = json::array();
  for (const OutputRecord& o : r.outputs)
    outputs.push_back({o.format, o.path, o.bytes, o.checksum});
  return json{{"kind", to_string(r.kind)},
              {"group", r.group},
              {"task", r.task},
              {"attempt", r.attempt},
              {"error", r.error},
              {"error_type", r.error_type},
              {"latent_path", r.latent_path},
              {"latent_checksum", r.latent_checksum},
              {"resumed_at_step", r.resumed_at_step},
              {"outputs", outputs},
              {"seconds", r.seconds},
              {"forward_seconds", r.forward_seconds},
              {"step", r.step},
              {"steps", r.steps},
              {"expert_loaded", r.expert_loaded},
              {"expert_load_seconds", r.expert_load_seconds},
              {"resident_expert", r.resident_expert},
              {"batch_remaining", r.batch_remaining},
              {"batch_size", r.batch_size}}
      .dump();
}

TaskReport decode_report(const std::string& text) {
  return parse_or_throw(text, "report", [](const json& j) {
    TaskReport r;
    r.kind = parse_report_kind(j.at("kind").get<std::string>());
    r.group = j.at("group").get<int>();
    r.task = j.at("task").get<int64_t>();
    r.attempt = j.at("attempt").get<int>();
    r.error = j.at("error").get<std::string>();
    r.error_type = j.at("error_type").get<std::string>();
    r.latent_path = j.at("latent_path").get<std::string>();
    r.latent_checksum = j.at("latent_checksum").get<std::string>();
    r.resumed_at_step = j.at("resumed_at_step").get<int64_t>();
    for (const json& o : j.at("outputs")) {
      r.outputs.push_back({o.at(0).get<std::string>(), o.at(1).get<std::string>(),
                           o.at(2).get<int64_t>(), o.at(3).get<std::string>()});
    }
    r.seconds = j.at("seconds").get<double>();
    r.forward_seconds = j.at("forward_seconds").get<double>();
    r.step = j.at("step").get<int64_t>();
    r.steps = j.at("steps").get<int64_t>();
    r.expert_loaded = j.at("expert_loaded").get<int64_t>();
    r.expert_load_seconds = j.at("expert_load_seconds").get<double>();
    r.resident_expert = j.at("resident_expert").get<int64_t>();
    r.batch_remaining = j.at("batch_remaining").get<int64_t>();
    r.batch_size = j.at("batch_size").get<int64_t>();
    return r;
  });
}

}  // namespace motionfarm::rank
