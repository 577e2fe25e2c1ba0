#include "tests/unit/report/report_fixture.h"

namespace motionfarm::report::test {

JobReport sample_report() {
  JobReport r;
  r.job = "spring <campaign>";
  r.manifest = "/shots/spring.yaml";
  r.state_dir = "/shots/spring.motionfarm-state";
  r.output_root = "/shots/out";
  r.motionfarm_version = "0.1.0 (abc1234)";
  r.generator = "0.1.0 (abc1234)";
  r.model = "wan2.1-i2v-14b-480p, weights /models/wan";
  r.generated = 1'700'010'000.0;
  r.last_update = 1'700'009'990.0;
  r.runs = {{1, 1'700'000'000.0, 1'700'003'600.0, 16, "cfg=1,tp=1,ulysses=2,ring=1", 75, "stopped"},
            {2, 1'700'004'000.0, 1'700'005'800.0, 8, "cfg=2,tp=1,ulysses=1,ring=1", 4,
             "3 of 5 assets done, 1 failed"}};
  r.stages = {{"dit_forward", "denoising", 300.0},
              {"segment_other", "segments outside the forward", 60.0},
              {"assembly", "assembly", 40.0}};

  ReportAsset done;
  done.id = "done-1";
  done.index = 0;
  done.status = AssetStatus::kDone;
  done.image = "/plates/a.png";
  done.prompt = "she turns & smiles";
  done.seed = "42";
  done.width = 832;
  done.height = 480;
  done.fps = 16.0;
  done.frames = 81;
  done.segments = done.segments_done = 1;
  done.render_seconds = 125.0;
  done.attempts = 2;
  done.outputs = {{"mp4", "/shots/out/shot one/#1.mp4", 1'500'000, "aa"},
                  {"webm", "/shots/out/shot one/#1.webm", 900'000, "bb"}};
  done.poster = "report-assets/done-1/poster-x.jpg";
  done.contact_sheet = "report-assets/done-1/sheet-x.jpg";

  ReportAsset failed;
  failed.id = "bad<1>";
  failed.index = 1;
  failed.status = AssetStatus::kFailed;
  failed.image = "/plates/\"bad\".png";
  failed.prompt = "<script>alert('prompt')</script>";
  failed.seed = "7";
  failed.width = 832;
  failed.height = 480;
  failed.fps = 16.0;
  failed.frames = 81;
  failed.segments = 1;
  failed.attempts = 3;
  failed.failed_attempts = 3;
  failed.error = "image /plates/\"bad\".png: corrupt <png> data & more";
  failed.error_type = "input";
  failed.image_thumbnail = "report-assets/bad_1_/image-y.jpg";

  ReportAsset waiting;
  waiting.id = "waiting";
  waiting.index = 2;
  waiting.prompt = "not yet";
  waiting.fps = 16.0;
  waiting.frames = 33;
  waiting.segments = 1;

  ReportAsset busy = waiting;
  busy.id = "busy";
  busy.index = 3;
  busy.status = AssetStatus::kRunning;
  busy.activity = "segment-000 step 12/40";

  ReportAsset gif = done;
  gif.id = "done-2";
  gif.index = 4;
  gif.frames = 49;
  gif.outputs = {{"gif", "/shots/out/done-2.gif", 300'000, "cc"}};
  gif.poster.clear();
  gif.contact_sheet.clear();

  r.assets = {done, failed, waiting, busy, gif};
  return r;
}

}  // namespace motionfarm::report::test
