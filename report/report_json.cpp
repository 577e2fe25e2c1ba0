#include "report/report_json.h"

#include <nlohmann/json.hpp>

#include "report/error_hints.h"
#include "report/html_text.h"

namespace motionfarm::report {

namespace {

using json = nlohmann::ordered_json;

json time_value(double seconds) { return seconds > 0.0 ? json(seconds) : json(); }
json iso_value(double seconds) { return seconds > 0.0 ? json(iso_time_text(seconds)) : json(); }
json text_or_null(const std::string& text) { return text.empty() ? json() : json(text); }

json asset_json(const ReportAsset& a, const std::string& root) {
  json outputs = json::array();
  for (const ReportOutput& o : a.outputs) {
    outputs.push_back({{"format", o.format},
                       {"path", o.path},
                       {"relative", relative_url(o.path, root)},
                       {"bytes", o.bytes}});
  }
  json asset = {{"id", a.id},
                {"index", a.index},
                {"status", to_string(a.status)},
                {"image", a.image},
                {"prompt", a.prompt},
                {"seed", a.seed},
                {"width", a.width},
                {"height", a.height},
                {"fps", a.fps},
                {"frames", a.frames},
                {"duration_seconds", a.duration_seconds()},
                {"segments", a.segments},
                {"segments_done", a.segments_done},
                {"render_seconds", a.render_seconds},
                {"attempts", a.attempts},
                {"failed_attempts", a.failed_attempts},
                {"outputs", outputs},
                {"thumbnails",
                 {{"image", text_or_null(a.image_thumbnail)},
                  {"poster", text_or_null(a.poster)},
                  {"contact_sheet", text_or_null(a.contact_sheet)}}}};
  if (a.status == AssetStatus::kFailed) {
    asset["error"] = a.error;
    asset["error_type"] = text_or_null(a.error_type);
    asset["hint"] = error_hint(a.error_type, a.error);
  }
  if (a.status == AssetStatus::kRunning) asset["activity"] = a.activity;
  return asset;
}

}  // namespace

std::string render_summary_json(const JobReport& report, const ReportTotals& t) {
  json stages = json::object();
  for (const StageTime& stage : report.stages) stages[stage.key] = stage.seconds;
  json runs = json::array();
  for (const ReportRun& run : report.runs) {
    runs.push_back({{"run", run.run_id},
                    {"started", time_value(run.started)},
                    {"ended", time_value(run.ended)},
                    {"world_size", run.world_size},
                    {"layout", run.layout},
                    {"exit_code", run.exit_code < 0 ? json() : json(run.exit_code)},
                    {"summary", run.summary}});
  }
  // Failures first, as on the page; then every asset in manifest order.
  json failures = json::array();
  json assets = json::array();
  for (const ReportAsset& asset : report.assets) {
    json entry = asset_json(asset, report.output_root);
    if (asset.status == AssetStatus::kFailed) {
      failures.push_back({{"id", asset.id},
                          {"image", asset.image},
                          {"thumbnail", text_or_null(asset.image_thumbnail)},
                          {"error", asset.error},
                          {"error_type", text_or_null(asset.error_type)},
                          {"hint", error_hint(asset.error_type, asset.error)},
                          {"attempts", asset.attempts}});
    }
    assets.push_back(std::move(entry));
  }
  const json summary = {{"schema", kSummarySchema},
                        {"job", report.job},
                        {"manifest", report.manifest},
                        {"state_dir", report.state_dir},
                        {"output_root", report.output_root},
                        {"report", "report.html"},
                        {"generated", report.generated},
                        {"generated_iso", iso_time_text(report.generated)},
                        {"last_update", time_value(report.last_update)},
                        {"running", report.running()},
                        {"running_since", time_value(t.running_since)},
                        {"running_since_iso", iso_value(t.running_since)},
                        {"counts",
                         {{"assets", t.assets},
                          {"done", t.done},
                          {"failed", t.failed},
                          {"running", t.running},
                          {"pending", t.pending}}},
                        {"time",
                         {{"wall_seconds", t.wall_seconds},
                          {"gpu_hours", t.gpu_hours},
                          {"clips_per_hour", t.clips_per_hour},
                          {"frames_per_second", t.frames_per_second},
                          {"frames_done", t.frames_done},
                          {"stages_seconds", stages}}},
                        {"layouts", t.layouts},
                        {"versions",
                         {{"motionfarm", report.motionfarm_version},
                          {"model", report.model},
                          {"report_writer", report.generator}}},
                        {"runs", runs},
                        {"failures", failures},
                        {"assets", assets}};
  // Prompts from a CSV may not be valid UTF-8: replace such bytes rather than fail the report.
  return summary.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace motionfarm::report
