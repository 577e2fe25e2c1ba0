#include "report/report_html.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <utility>
#include <vector>

#include "report/error_hints.h"
#include "report/html_text.h"

namespace motionfarm::report {

namespace {

// Inline: the page must open with no network and no files beside it but the media.
constexpr char kStyle[] = R"css(
:root{--bg:#f6f6f4;--card:#fff;--ink:#1d1d1f;--dim:#6b6b70;--line:#deded9;--bad:#b3261e;
--bad-bg:#fdecea;--ok:#1e7a34;--run:#1a5fb4}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
background:var(--bg)}
header{padding:16px 24px;background:#22252b;color:#fff}
header h1{margin:0 0 4px;font-size:20px;font-weight:600}
header p{margin:2px 0;color:#d6d8dc}
header.running strong{color:#8ab4f8}header.finished strong{color:#81c995}
header.stopped strong,header.failed strong{color:#f6aea9}
header progress{width:160px;vertical-align:middle}
main{padding:16px 24px 48px}
h2{font-size:16px;margin:24px 0 8px}
.tiles{display:flex;flex-wrap:wrap;gap:8px;margin:0;padding:0}
.tiles div{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 12px;
min-width:110px}
.tiles dt{color:var(--dim);font-size:12px}.tiles dd{margin:0;font-size:18px;font-weight:600}
.tiles .bad dd{color:var(--bad)}.tiles .ok dd{color:var(--ok)}
table{border-collapse:collapse;background:var(--card);margin:8px 0}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.facts{margin:8px 0;color:var(--dim)}.facts code{color:var(--ink)}
nav{position:sticky;top:0;z-index:1;display:flex;flex-wrap:wrap;gap:6px;align-items:center;
padding:8px 0;background:var(--bg);border-bottom:1px solid var(--line)}
nav button{border:1px solid var(--line);background:var(--card);border-radius:14px;padding:3px 12px;
cursor:pointer;font:inherit}
nav button[aria-pressed=true]{background:#22252b;color:#fff;border-color:#22252b}
nav input{margin-left:8px;padding:4px 8px;min-width:260px;font:inherit;border:1px solid var(--line);
border-radius:4px}
#shown{color:var(--dim);margin-left:6px}
.asset{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px;
content-visibility:auto;contain-intrinsic-size:auto 420px}
.asset h3{margin:4px 0;font-size:15px;word-break:break-all}
.failure{display:flex;gap:14px;border-color:#f0b8b3;background:var(--bad-bg);margin-bottom:8px;
contain-intrinsic-size:auto 180px}
.failure .meta{flex:1;min-width:0}
.error{color:var(--bad);white-space:pre-wrap;word-break:break-word;margin:4px 0}
.error .type{display:inline-block;background:var(--bad);color:#fff;border-radius:3px;
padding:0 5px;margin-right:6px;font-size:12px}
.hint{margin:4px 0}.hint:before{content:"What to do: ";font-weight:600}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px}
video,.poster{display:block;width:100%;height:auto;background:#000;border-radius:4px}
.play{position:relative;display:block;width:100%;padding:0;border:0;border-radius:4px;
background:#000;cursor:pointer;overflow:hidden}
.play .poster{height:100%;object-fit:contain}
.play:after{content:"";position:absolute;left:50%;top:50%;margin:-24px 0 0 -16px;
border-style:solid;border-width:24px 0 24px 38px;border-color:transparent transparent transparent
rgba(255,255,255,.85);filter:drop-shadow(0 0 4px #000)}
.play:hover:after,.play:focus:after{border-left-color:#fff}
.thumb{display:block;width:240px;max-width:40vw;height:auto;border-radius:4px;background:#ddd}
.sheet{display:block;width:100%;height:auto;margin-top:6px;border-radius:4px}
.nopreview{width:240px;min-height:120px;padding:10px;border-radius:4px;background:#e8e8e4;
color:var(--dim);font-size:12px;word-break:break-word}
.prompt{margin:4px 0;font-style:italic}
dl.fields{display:grid;grid-template-columns:auto 1fr;gap:0 10px;margin:6px 0}
dl.fields dt{color:var(--dim)}dl.fields dd{margin:0}
.files{color:var(--dim);font-size:12px;margin:6px 0 0}
.badge{display:inline-block;border-radius:3px;padding:0 6px;font-size:12px;color:#fff;
background:var(--dim)}
.badge.done{background:var(--ok)}.badge.failed{background:var(--bad)}
.badge.running{background:var(--run)}
.waiting{contain-intrinsic-size:auto 140px}
footer{color:var(--dim);font-size:12px;padding:0 24px 24px}
[hidden]{display:none!important}
)css";

// Filtering by status and searching ids and prompts; sections with nothing shown are hidden.
constexpr char kScript[] = R"js(
(function () {
  var cards = document.querySelectorAll('.asset');
  var sections = document.querySelectorAll('section.assets');
  var buttons = document.querySelectorAll('nav button[data-filter]');
  var search = document.getElementById('search');
  var status = 'all';
  function apply() {
    var query = search.value.trim().toLowerCase();
    var shown = 0;
    for (var i = 0; i < cards.length; i++) {
      var card = cards[i];
      var match = (status === 'all' || card.getAttribute('data-status') === status) &&
          (query === '' || card.getAttribute('data-search').indexOf(query) >= 0);
      card.hidden = !match;
      if (match) shown++;
    }
    for (var s = 0; s < sections.length; s++) {
      sections[s].hidden = sections[s].querySelector('.asset:not([hidden])') === null;
    }
    document.getElementById('shown').textContent = shown + ' of ' + cards.length + ' shown';
  }
  for (var b = 0; b < buttons.length; b++) {
    buttons[b].addEventListener('click', function (event) {
      status = event.currentTarget.getAttribute('data-filter');
      for (var k = 0; k < buttons.length; k++) {
        buttons[k].setAttribute('aria-pressed', buttons[k] === event.currentTarget ? 'true' : 'false');
      }
      apply();
    });
  }
  search.addEventListener('input', apply);
  // A clip's play button becomes its <video> (kept inert in the <template> beside it).
  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button.play') : null;
    if (!button) return;
    var video = button.nextElementSibling.content.firstElementChild.cloneNode(true);
    button.parentNode.replaceChild(video, button);
    var playing = video.play();
    if (playing && playing.catch) playing.catch(function () {});  // blocked autoplay: controls stay
  });
  apply();
})();
)js";

// The <source> type for a browser-playable format (codecs named, so a browser that cannot decode
// one skips to the next); nullptr for formats a <video> does not play.
const char* video_type(const std::string& format) {
  if (format == "mp4" || format == "nvenc-h264") return "video/mp4; codecs=\"avc1.64001F\"";
  if (format == "webm") return "video/webm; codecs=\"vp9\"";
  if (format == "av1-webm") return "video/webm; codecs=\"av01.0.05M.08\"";
  if (format == "av1-mp4") return "video/mp4; codecs=\"av01.0.05M.08\"";
  if (format == "nvenc-hevc") return "video/mp4; codecs=\"hvc1.1.6.L93.B0\"";
  return nullptr;
}

// Sources in the order a browser should try them: H.264 MP4 first (hardware decoders, every
// browser), then VP9 and AV1 WebM, then the rest.
std::vector<const ReportOutput*> playable_sources(const ReportAsset& asset) {
  static const char* kOrder[] = {"mp4", "nvenc-h264", "webm", "av1-webm", "av1-mp4", "nvenc-hevc"};
  std::vector<const ReportOutput*> sources;
  for (const char* format : kOrder) {
    for (const ReportOutput& output : asset.outputs) {
      if (output.format == format) sources.push_back(&output);
    }
  }
  return sources;
}

const ReportOutput* animated_image(const ReportAsset& asset) {
  for (const ReportOutput& output : asset.outputs) {
    if (output.format == "gif" || output.format == "webp") return &output;
  }
  return nullptr;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

class Page {
 public:
  Page(const JobReport& report, const ReportTotals& totals) : r_(report), t_(totals) {}

  std::string render() {
    out_ << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         << "<meta name=\"generator\" content=\"motionfarm " << escape_html(r_.generator) << "\">\n"
         << "<title>" << escape_html(r_.job) << " - motionfarm report</title>\n"
         << "<style>" << kStyle << "</style>\n</head>\n<body>\n";
    header();
    out_ << "<main>\n";
    summary();
    filters();
    failures();
    finished();
    unfinished();
    out_ << "</main>\n<footer>Written by motionfarm " << escape_html(r_.generator) << " at "
         << local_time_text(r_.generated)
         << ". The same facts for tools: <a href=\"summary.json\">summary.json</a>. "
         << "Reload the page for the newest state.</footer>\n"
         << "<script>" << kScript << "</script>\n</body>\n</html>\n";
    return out_.str();
  }

 private:
  void header() {
    const ReportRun* last = r_.runs.empty() ? nullptr : &r_.runs.back();
    std::string css = "finished";
    std::string state;
    if (r_.running()) {
      css = "running";
      state = "Running";
    } else if (last == nullptr) {
      state = "Not started";
    } else if (last->exit_code == 75) {
      css = "stopped";
      state = "Stopped (rerun the same command to resume)";
    } else if (last->exit_code < 0) {
      css = "stopped";
      state = "Ended without a summary (killed or crashed; rerun to resume)";
    } else if (last->exit_code != 0) {
      css = "failed";
      state = t_.failed > 0 ? "Finished with failures"
                            : "Finished with exit code " + std::to_string(last->exit_code);
    } else {
      state = "Finished";
    }
    out_ << "<header class=\"" << css << "\">\n<h1>" << escape_html(r_.job) << "</h1>\n"
         << "<p class=\"progress\"><strong>" << escape_html(state) << "</strong>: " << t_.done
         << " / " << t_.assets << " done, " << t_.failed << " failed, " << t_.running
         << " rendering, " << t_.pending << " pending <progress value=\"" << (t_.done + t_.failed)
         << "\" max=\"" << std::max<int64_t>(t_.assets, 1) << "\"></progress></p>\n<p>";
    if (r_.running()) {
      out_ << "running since " << local_time_text(t_.running_since) << " ("
           << duration_text(r_.generated - t_.running_since) << ")";
    } else if (last != nullptr) {
      out_ << "last run " << local_time_text(last->started) << " &rarr; "
           << local_time_text(last->ended);
      if (last->exit_code >= 0) out_ << ", exit code " << last->exit_code;
      if (!last->summary.empty()) out_ << ": " << escape_html(last->summary);
    }
    out_ << " &middot; last update " << local_time_text(r_.last_update) << " &middot; page written "
         << local_time_text(r_.generated) << "</p>\n</header>\n";
  }

  void tile(const char* label, const std::string& value, const char* css = "") {
    out_ << "<div class=\"" << css << "\"><dt>" << label << "</dt><dd>" << value << "</dd></div>";
  }

  void summary() {
    out_ << "<section id=\"summary\">\n<h2>Summary</h2>\n<dl class=\"tiles\">";
    tile("done", std::to_string(t_.done) + " / " + std::to_string(t_.assets), "ok");
    tile("failed", std::to_string(t_.failed), t_.failed > 0 ? "bad" : "");
    tile("pending", std::to_string(t_.pending + t_.running));
    tile("wall time", duration_text(t_.wall_seconds));
    tile("GPU-hours", fixed_text(t_.gpu_hours, t_.gpu_hours < 10.0 ? 3 : 1));
    tile("clips / hour", fixed_text(t_.clips_per_hour, 1));
    tile("frames / s", fixed_text(t_.frames_per_second, 2));
    out_ << "</dl>\n";

    double stage_total = 0.0;
    for (const StageTime& stage : r_.stages) stage_total += stage.seconds;
    out_ << "<table class=\"stages\"><thead><tr><th>time per stage (all attempts)</th>"
         << "<th>time</th><th>share</th></tr></thead><tbody>\n";
    for (const StageTime& stage : r_.stages) {
      out_ << "<tr><td>" << escape_html(stage.label) << "</td><td class=\"num\">"
           << duration_text(stage.seconds) << "</td><td class=\"num\">"
           << (stage_total > 0.0 ? fixed_text(100.0 * stage.seconds / stage_total, 0) : "0")
           << " %</td></tr>\n";
    }
    out_ << "</tbody></table>\n<p class=\"facts\">layout <code>";
    for (size_t i = 0; i < t_.layouts.size(); ++i) {
      out_ << (i ? ", " : "") << escape_html(t_.layouts[i]);
    }
    if (!r_.runs.empty()) out_ << "</code> on <code>" << r_.runs.back().world_size << " ranks";
    out_ << "</code> &middot; motionfarm <code>"
         << escape_html(r_.motionfarm_version.empty() ? "unknown" : r_.motionfarm_version)
         << "</code> &middot; model <code>" << escape_html(r_.model) << "</code><br>manifest <code>"
         << escape_html(r_.manifest) << "</code> &middot; state folder <code>"
         << escape_html(r_.state_dir) << "</code></p>\n";
    out_ << "<details><summary>" << r_.runs.size() << " run" << (r_.runs.size() == 1 ? "" : "s")
         << "</summary><table><thead><tr><th>run</th><th>started</th><th>ended</th><th>ranks</th>"
         << "<th>layout</th><th>exit</th><th>summary</th></tr></thead><tbody>\n";
    for (const ReportRun& run : r_.runs) {
      out_ << "<tr><td class=\"num\">" << run.run_id << "</td><td>" << local_time_text(run.started)
           << "</td><td>" << (run.ended > 0.0 ? local_time_text(run.ended) : "running")
           << "</td><td class=\"num\">" << run.world_size << "</td><td>" << escape_html(run.layout)
           << "</td><td class=\"num\">" << (run.exit_code >= 0 ? std::to_string(run.exit_code) : "")
           << "</td><td>" << escape_html(run.summary) << "</td></tr>\n";
    }
    out_ << "</tbody></table></details>\n</section>\n";
  }

  void filters() {
    out_ << "<nav aria-label=\"filter\">";
    const std::pair<const char*, int64_t> filters[] = {{"all", t_.assets},
                                                       {"failed", t_.failed},
                                                       {"done", t_.done},
                                                       {"running", t_.running},
                                                       {"pending", t_.pending}};
    for (const auto& [name, count] : filters) {
      out_ << "<button type=\"button\" data-filter=\"" << name << "\" aria-pressed=\""
           << (std::string(name) == "all" ? "true" : "false") << "\">" << name << " (" << count
           << ")</button>";
    }
    out_ << "<input id=\"search\" type=\"search\" placeholder=\"search id or prompt\" "
         << "aria-label=\"search id or prompt\"><span id=\"shown\"></span></nav>\n";
  }

  void open_card(const ReportAsset& asset, const char* css) {
    out_ << "<article class=\"asset " << css << "\" id=\"asset-" << escape_html(asset.id)
         << "\" data-status=\"" << to_string(asset.status) << "\" data-search=\""
         << escape_html(lower(asset.id + " " + asset.prompt)) << "\">\n";
  }

  void preview_image(const std::string& relative, const std::string& alt, const char* css) {
    out_ << "<img class=\"" << css << "\" loading=\"lazy\" decoding=\"async\" src=\""
         << escape_html(relative_url(relative, "")) << "\" alt=\"" << escape_html(alt) << "\">\n";
  }

  void no_preview(const ReportAsset& asset) {
    out_ << "<div class=\"nopreview\">no preview"
         << (asset.preview_problem.empty() ? "" : ": " + escape_html(asset.preview_problem))
         << "</div>\n";
  }

  void fields(const ReportAsset& asset, bool render_time) {
    out_ << "<dl class=\"fields\"><dt>seed</dt><dd>" << escape_html(asset.seed)
         << "</dd><dt>resolution</dt><dd>" << asset.width << "&times;" << asset.height
         << "</dd><dt>duration</dt><dd>" << fixed_text(asset.duration_seconds(), 2) << " s ("
         << asset.frames << " frames at "
         << fixed_text(asset.fps, asset.fps == int(asset.fps) ? 0 : 3) << " fps)</dd>";
    if (render_time)
      out_ << "<dt>render time</dt><dd>" << duration_text(asset.render_seconds) << "</dd>";
    out_ << "<dt>attempts</dt><dd>" << asset.attempts;
    if (asset.failed_attempts > 0) out_ << " (" << asset.failed_attempts << " failed)";
    out_ << "</dd></dl>\n";
  }

  void file_links(const ReportAsset& asset) {
    if (asset.outputs.empty()) return;
    out_ << "<p class=\"files\">";
    for (size_t i = 0; i < asset.outputs.size(); ++i) {
      const ReportOutput& output = asset.outputs[i];
      out_ << (i ? " &middot; " : "") << "<a href=\""
           << escape_html(relative_url(output.path, r_.output_root)) << "\">"
           << escape_html(output.format) << "</a> " << bytes_text(output.bytes);
    }
    out_ << "</p>\n";
  }

  // The clip as a play button over its lazily loaded poster; the <video> waits in a <template>
  // (inert: no media element exists) until the button is pressed. A page of 1,000 <video>
  // elements, even with preload="none", takes seconds to open, and every poster="" attribute is
  // fetched at once; this way the page costs what its visible images cost.
  void clip(const ReportAsset& asset, const std::vector<const ReportOutput*>& sources,
            const std::string& aspect) {
    const std::string poster = asset.poster.empty() ? "" : relative_url(asset.poster, "");
    out_ << "<div class=\"clip\"><button type=\"button\" class=\"play\" style=\"aspect-ratio:"
         << aspect << "\" aria-label=\"play " << escape_html(asset.id) << "\">";
    if (!poster.empty()) {
      out_ << "<img class=\"poster\" loading=\"lazy\" decoding=\"async\" src=\""
           << escape_html(poster) << "\" alt=\"middle frame of " << escape_html(asset.id) << "\">";
    }
    out_ << "</button><template><video controls loop playsinline preload=\"auto\" "
            "style=\"aspect-ratio:"
         << aspect << "\"";
    if (!poster.empty()) out_ << " poster=\"" << escape_html(poster) << "\"";
    out_ << ">";
    for (const ReportOutput* source : sources) {
      out_ << "<source src=\"" << escape_html(relative_url(source->path, r_.output_root))
           << "\" type=\"" << escape_html(video_type(source->format)) << "\">";
    }
    out_ << "</video></template></div>\n";
  }

  void failures() {
    if (t_.failed == 0) return;
    out_ << "<section class=\"assets\" id=\"failures\">\n<h2>Failed (" << t_.failed << ")</h2>\n";
    for (const ReportAsset& asset : r_.assets) {
      if (asset.status != AssetStatus::kFailed) continue;
      open_card(asset, "failure");
      if (!asset.image_thumbnail.empty()) {
        preview_image(asset.image_thumbnail, "input image of " + asset.id, "thumb");
      } else {
        no_preview(asset);
      }
      out_ << "<div class=\"meta\"><h3>" << escape_html(asset.id) << "</h3>\n<p class=\"error\">";
      if (!asset.error_type.empty()) {
        out_ << "<span class=\"type\">" << escape_html(asset.error_type) << "</span>";
      }
      out_ << escape_html(asset.error) << "</p>\n<p class=\"hint\">"
           << escape_html(error_hint(asset.error_type, asset.error)) << "</p>\n<p>attempts "
           << asset.attempts << " (" << asset.failed_attempts << " failed) &middot; image <code>"
           << escape_html(asset.image) << "</code></p>\n<p class=\"prompt\">"
           << escape_html(asset.prompt) << "</p></div>\n</article>\n";
    }
    out_ << "</section>\n";
  }

  void finished() {
    out_ << "<section class=\"assets\" id=\"finished\">\n<h2>Finished (" << t_.done
         << ")</h2>\n<div class=\"grid\">\n";
    for (const ReportAsset& asset : r_.assets) {
      if (asset.status != AssetStatus::kDone) continue;
      open_card(asset, "done");
      const std::vector<const ReportOutput*> sources = playable_sources(asset);
      const std::string aspect = std::to_string(std::max<int64_t>(asset.width, 1)) + "/" +
                                 std::to_string(std::max<int64_t>(asset.height, 1));
      if (!sources.empty()) {
        clip(asset, sources, aspect);
      } else if (const ReportOutput* animated = animated_image(asset)) {
        preview_image(relative_url(animated->path, r_.output_root), asset.id, "poster");
      } else if (!asset.poster.empty()) {
        preview_image(asset.poster, "middle frame of " + asset.id, "poster");
      } else if (!asset.image_thumbnail.empty()) {
        preview_image(asset.image_thumbnail, "input image of " + asset.id, "poster");
      } else {
        no_preview(asset);
      }
      out_ << "<h3>" << escape_html(asset.id) << " <span class=\"badge done\">done</span></h3>\n"
           << "<p class=\"prompt\">" << escape_html(asset.prompt) << "</p>\n";
      fields(asset, /*render_time=*/true);
      if (!asset.contact_sheet.empty()) {
        out_ << "<a href=\"" << escape_html(relative_url(asset.contact_sheet, "")) << "\">";
        preview_image(asset.contact_sheet, "contact sheet of " + asset.id, "sheet");
        out_ << "</a>\n";
      }
      file_links(asset);
      out_ << "</article>\n";
    }
    out_ << "</div>\n</section>\n";
  }

  void unfinished() {
    const int64_t count = t_.running + t_.pending;
    if (count == 0) return;
    out_ << "<section class=\"assets\" id=\"unfinished\">\n<h2>Not finished (" << count
         << ")</h2>\n<div class=\"grid\">\n";
    // Rendering ones first: they are what is happening now.
    for (const AssetStatus status : {AssetStatus::kRunning, AssetStatus::kPending}) {
      for (const ReportAsset& asset : r_.assets) {
        if (asset.status != status) continue;
        open_card(asset, "waiting");
        out_ << "<h3>" << escape_html(asset.id) << " <span class=\"badge " << to_string(status)
             << "\">" << to_string(status) << "</span></h3>\n";
        if (!asset.activity.empty()) out_ << "<p>" << escape_html(asset.activity) << "</p>\n";
        out_ << "<p>" << asset.segments_done << " / " << asset.segments
             << " segments rendered</p>\n<p class=\"prompt\">" << escape_html(asset.prompt)
             << "</p>\n";
        fields(asset, /*render_time=*/false);
        out_ << "</article>\n";
      }
    }
    out_ << "</div>\n</section>\n";
  }

  const JobReport& r_;
  const ReportTotals& t_;
  std::ostringstream out_;
};

}  // namespace

std::string render_report_html(const JobReport& report, const ReportTotals& totals) {
  return Page(report, totals).render();
}

}  // namespace motionfarm::report
