#include "rank/farm_worker.h"

#include <chrono>
#include <new>
#include <string>
#include <utility>

#include "core/check.h"
#include "core/log.h"
#include "rank/farm_channel.h"
#include "rank/farm_task.h"
#include "rank/finite_check.h"
#include "rank/segment_latents.h"
#include "rank/segment_renderer.h"
#include "rank/stop_request.h"

namespace motionfarm::rank {
namespace {

constexpr int kCoordinator = 0;  // the coordinator's rank in the farm communicator

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The group's denoiser with a stopwatch: time spent in the DiT forward, for utilisation.
class TimedDenoiser final : public DenoiserBackend {
 public:
  explicit TimedDenoiser(const DenoiserBackend& inner) : inner_(inner) {}
  const model::WanDiTConfig& config() const override { return inner_.config(); }
  at::Tensor forward(const model::DiTInputs& inputs) const override {
    const double start = now_seconds();
    at::Tensor out = inner_.forward(inputs);
    seconds_ += now_seconds() - start;
    return out;
  }
  model::VelocityFn guide(model::VelocityFn cond, model::VelocityFn uncond,
                          double scale) const override {
    return inner_.guide(std::move(cond), std::move(uncond), scale);
  }
  int64_t sequence_multiple() const override { return inner_.sequence_multiple(); }
  double take_seconds() const { return std::exchange(seconds_, 0.0); }

 private:
  const DenoiserBackend& inner_;
  mutable double seconds_ = 0.0;
};

// Thrown from the step observer when the group stops at a step boundary.
struct StopAtStep {
  int64_t steps_done = 0;
};

const char* error_type(const std::exception& error) {
  if (dynamic_cast<const NonFiniteError*>(&error)) return "non-finite";
  if (dynamic_cast<const InputError*>(&error)) return "input";
  if (dynamic_cast<const ConfigError*>(&error)) return "config";
  if (dynamic_cast<const ModelError*>(&error)) return "model";
  if (dynamic_cast<const CheckpointError*>(&error)) return "checkpoint";
  if (dynamic_cast<const std::bad_alloc*>(&error)) return "out-of-memory";
  const std::string what = error.what();
  if (what.find("out of memory") != std::string::npos) return "out-of-memory";
  return "internal";
}

class GroupWorker {
 public:
  explicit GroupWorker(const FarmWorkerOptions& options)
      : options_(options),
        topology_(*options.topology),
        leader_(topology_.is_group_leader()),
        group_size_(topology_.group().size()),
        timed_(*options.denoiser),
        renderer_(*options.bundle, timed_) {
    MF_CHECK(!leader_ || (options.farm && options.farm->valid()), Error,
             "a group leader needs the farm communicator");
  }

  void run() {
    TaskReport report;
    report.kind = ReportKind::kReady;
    for (;;) {
      std::string text;
      if (leader_) {
        report.group = topology_.group_index();
        send_text(*options_.farm, kCoordinator, kTagReport, encode(report));
        const Assignment assignment =
            decode_assignment(receive_text(*options_.farm, kCoordinator, kTagAssignment));
        if (!assignment.stop) text = encode(assignment.task);
        if (assignment.stop) {
          MF_LOG(Info, "worker") << "group " << topology_.group_index()
                                 << " stops: " << assignment.stop_reason;
        }
      }
      // An empty text is the stop: members leave with their leader.
      if (group_size_ > 1) broadcast_text(topology_.group(), text, 0);
      if (text.empty()) return;
      report = execute(decode_task(text));
    }
  }

 private:
  // Leader: asks the coordinator whether to go on; the group then agrees on the leader's answer
  // (collective over the group at every step, so every rank leaves at the same step).
  void step_boundary(const FarmTask& task, int64_t step) {
    int stop = 0;
    if (leader_) {
      TaskReport progress;
      progress.kind = ReportKind::kProgress;
      progress.group = topology_.group_index();
      progress.task = task.task;
      progress.attempt = task.attempt;
      progress.step = step + 1;
      progress.steps = task.asset.steps;
      send_text(*options_.farm, kCoordinator, kTagReport, encode(progress));
      stop = receive_text(*options_.farm, kCoordinator, kTagStepReply) == "stop" ? 1 : 0;
    }
    if (group_size_ > 1) {
      parallel::check_mpi(MPI_Bcast(&stop, 1, MPI_INT, 0, topology_.group().get()),
                          "MPI_Bcast (stop)");
    }
    if (stop) throw StopAtStep{step + 1};
  }

  TaskReport execute(const FarmTask& task) {
    TaskReport report;
    report.group = topology_.group_index();
    report.task = task.task;
    report.attempt = task.attempt;
    const double start = now_seconds();
    timed_.take_seconds();
    MF_LOG(Info, "worker") << "task " << task.name << " attempt " << task.attempt << " starts";
    try {
      MF_CHECK(!task.fail_on_purpose, Error,
               "failed on purpose (test hook MOTIONFARM_TEST_FAIL_FIRST_ATTEMPT names asset '"
                   << task.asset.id << "')");
      if (task.kind == FarmTaskKind::kSegment) {
        const at::Tensor latent = renderer_.render_segment(
            task, [&](int64_t step, const at::Tensor&) { step_boundary(task, step); });
        if (leader_) {
          report.latent_path = segment_latent_path(task.latent_folder, task.segment_index);
          save_segment_latent(report.latent_path, latent);
          report.latent_checksum = file_checksum(report.latent_path);
        }
      } else if (leader_) {
        // Decoding and encoding are the leader's alone; members wait for the next task.
        report.outputs = renderer_.assemble(task);
      }
      report.kind = ReportKind::kDone;
    } catch (const StopAtStep& stop) {
      report.kind = ReportKind::kInterrupted;
      report.error = "stopped at the step boundary after step " + std::to_string(stop.steps_done) +
                     " of " + std::to_string(task.asset.steps);
    } catch (const CommError&) {
      throw;  // the group or the interconnect is broken: the job ends through main
    } catch (const std::exception& error) {
      report.kind = ReportKind::kFailed;
      report.error = error.what();
      report.error_type = error_type(error);
    }
    report.seconds = now_seconds() - start;
    report.forward_seconds = timed_.take_seconds();
    MF_LOG(Info, "worker") << "task " << task.name << " attempt " << task.attempt << " "
                           << to_string(report.kind) << " in " << report.seconds << " s"
                           << (report.error.empty() ? "" : ": " + report.error);
    return report;
  }

  const FarmWorkerOptions& options_;
  const parallel::Topology& topology_;
  const bool leader_;
  const int group_size_;
  TimedDenoiser timed_;
  SegmentRenderer renderer_;
};

}  // namespace

void run_farm_worker(const FarmWorkerOptions& options) {
  MF_CHECK(options.topology && options.bundle && options.denoiser, Error,
           "run_farm_worker needs a topology, a bundle and a denoiser");
  GroupWorker worker(options);
  worker.run();
}

}  // namespace motionfarm::rank
