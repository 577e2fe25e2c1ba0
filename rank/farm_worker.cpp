#include "rank/farm_worker.h"

#include <chrono>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "core/check.h"
#include "core/log.h"
#include "rank/farm_channel.h"
#include "rank/farm_task.h"
#include "rank/file_checksum.h"
#include "rank/finite_check.h"
#include "rank/latent_checkpoint.h"
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
  // (collective over the group at every step, so every rank leaves at the same step). True: stop.
  bool step_boundary(const FarmTask& task, int64_t step) {
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
    return stop != 0;
  }

  void group_barrier() {
    if (group_size_ > 1) {
      parallel::check_mpi(MPI_Barrier(topology_.group().get()), "MPI_Barrier (latent store)");
    }
  }

  // The asset's latent store, opened by every rank of the group: the leader first (it creates the
  // store, or replaces one that cannot be used), then the members read the same file.
  io::LatentStore open_store(const FarmTask& task) {
    const std::string path = latent_store_path(task.latent_folder);
    const io::LatentStoreIdentity identity =
        latent_store_identity(task.asset, options_.bundle->preset().name);
    std::optional<io::LatentStore> store;
    std::string failure;  // the leader's, when it could not open or repair the store
    if (leader_) {
      try {
        store.emplace(leader_store(task, path, identity));
      } catch (const std::exception& error) {
        failure = error.what();
      }
    }
    // The group agrees on the leader's outcome, so a leader that failed (disk full, say) never
    // leaves its members waiting in a collective it will not join.
    int ok = failure.empty() ? 1 : 0;
    if (group_size_ > 1) {
      parallel::check_mpi(MPI_Bcast(&ok, 1, MPI_INT, 0, topology_.group().get()),
                          "MPI_Bcast (latent store)");
    }
    if (!ok) {
      throw CheckpointError(leader_ ? failure
                                    : "the group leader could not open the latent store " + path +
                                          " (its log says why)");
    }
    if (!leader_) store.emplace(io::LatentStore::open(path, identity));
    return std::move(*store);
  }

  // Leader: opens or creates the store (open_or_create_latent_store logs a store it had to set
  // aside) and drops what in it cannot be used for this task, before the members read it.
  io::LatentStore leader_store(const FarmTask& task, const std::string& path,
                               const io::LatentStoreIdentity& identity) {
    io::LatentStore store = open_or_create_latent_store(path, identity);
    const int k = static_cast<int>(task.segment_index);
    if (k >= 0 && store.has_complete_segment(k)) {
      // An earlier run finished this segment but died before the coordinator heard of it. The
      // latents are kept if they verify (a rerun would compute the same bits), else redone.
      try {
        store.read_segment(k);
      } catch (const CheckpointError& error) {
        MF_LOG(Warn, "checkpoint")
            << "segment " << k << " of '" << task.asset.id
            << "': stored latents dropped, rendering again: " << error.what();
        store.discard_segment(k);
      }
    }
    if (k >= 0 && store.has_state(k)) {
      // A stored state that does not verify is dropped: the segment restarts at step 0.
      try {
        store.read_state(k);
      } catch (const CheckpointError& error) {
        MF_LOG(Warn, "checkpoint")
            << "segment " << k << " of '" << task.asset.id
            << "': stored state dropped, restarting the segment: " << error.what();
        store.discard_segment(k);
      }
    }
    return store;
  }

  void render_segment(const FarmTask& task, TaskReport& report) {
    io::LatentStore store = open_store(task);
    const int k = static_cast<int>(task.segment_index);
    if (store.has_complete_segment(k)) {  // the whole group sees the same store: all skip
      MF_LOG(Info, "worker") << task.name << ": already complete in " << store.path()
                             << " (an earlier run finished it), kept";
      if (leader_) {
        report.latent_path = store.path();
        report.latent_checksum = store.meta().identity.model_config_hash;
      }
      return;
    }
    SegmentStart start;
    if (k > 0) start.previous_latents = store.read_segment(k - 1);
    if (k > 0 && task.asset.color_match) start.anchor_latents = store.read_segment(0);
    if (auto state = store.read_state(k)) start.resume = from_stored_state(*state);
    report.resumed_at_step = start.resume ? start.resume->sampler.step_index : 0;
    group_barrier();  // every rank has read before the leader writes a state
    std::optional<StateCheckpointer> checkpointer;
    if (leader_) checkpointer.emplace(store, k, task.asset.steps, options_.checkpoint_every);
    const at::Tensor latent =
        renderer_.render_segment(task, start, [&](int64_t step, const SamplingCheckpoint& after) {
          const bool stop = step_boundary(task, step);
          if (checkpointer) checkpointer->after_step(step, after, stop);
          if (stop) throw StopAtStep{step + 1};
        });
    if (leader_) {
      store.write_segment(k, latent);
      report.latent_path = store.path();
      report.latent_checksum = store.meta().identity.model_config_hash;
    }
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
        render_segment(task, report);
      } else if (leader_) {
        // Decoding and encoding are the leader's alone; members wait for the next task.
        const io::LatentStore store = io::LatentStore::open(
            latent_store_path(task.latent_folder),
            latent_store_identity(task.asset, options_.bundle->preset().name));
        report.outputs = renderer_.assemble(task, store);
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
