#include "rank/farm_worker.h"

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/check.h"
#include "core/log.h"
#include "rank/farm_channel.h"
#include "rank/farm_task.h"
#include "rank/file_checksum.h"
#include "rank/group_denoiser.h"
#include "rank/latent_checkpoint.h"
#include "rank/segment_renderer.h"
#include "rank/stop_request.h"
#include "rank/task_error.h"

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

class GroupWorker {
 public:
  explicit GroupWorker(const FarmWorkerOptions& options)
      : options_(options),
        topology_(*options.topology),
        leader_(topology_.is_group_leader()),
        group_size_(topology_.group().size()),
        bundle_(*options.bundle) {
    MF_CHECK(!leader_ || (options.farm && options.farm->valid()), Error,
             "a group leader needs the farm communicator");
    if (bundle_.preset().has_experts()) {
      // No expert yet: the first segment task loads its own. Assemblies need none.
      renderer_ = std::make_unique<SegmentRenderer>(
          bundle_, ExpertDenoisers(static_cast<size_t>(bundle_.preset().dit_count()), nullptr));
    } else {
      MF_CHECK(options.denoiser, Error, "a preset without experts needs the group's denoiser");
      timed_ = std::make_unique<TimedDenoiser>(*options.denoiser);
      renderer_ = std::make_unique<SegmentRenderer>(bundle_, *timed_);
    }
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

  // Makes `expert` the DiT the group holds: drops the renderer and denoiser that borrow the old
  // one, releases it, loads the new one and builds them again over it (a group holds one expert
  // at a time, so an A14B expert's weights fit next to the activations). Collective over the
  // group: every rank calls it for the same task, so they swap together, agree on whether the
  // load worked before the GroupDenoiser duplicates the group's communicators, and fail the task
  // together when it did not.
  void hold_expert(int64_t expert, TaskReport& report) {
    if (expert == resident_) return;
    const double start = now_seconds();
    renderer_.reset();
    timed_.reset();
    expert_denoiser_.reset();
    if (resident_ >= 0) bundle_.release_expert(resident_);
    resident_ = -1;
    std::exception_ptr failure;
    try {
      bundle_.load_expert(expert);
    } catch (const std::exception&) {
      failure = std::current_exception();
    }
    int ok = failure ? 0 : 1;
    if (group_size_ > 1) {
      parallel::check_mpi(
          MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, topology_.group().get()),
          "MPI_Allreduce (expert load)");
    }
    ExpertDenoisers denoisers(static_cast<size_t>(bundle_.preset().dit_count()), nullptr);
    if (ok) {
      expert_denoiser_ = std::make_unique<GroupDenoiser>(bundle_.dit(expert), topology_);
      timed_ = std::make_unique<TimedDenoiser>(*expert_denoiser_);
      denoisers[static_cast<size_t>(expert)] = timed_.get();
      resident_ = expert;
      report.expert_loaded = expert;
      report.expert_load_seconds = now_seconds() - start;
      MF_LOG(Info, "worker") << "group " << topology_.group_index() << " loaded expert "
                             << bundle_.preset().dit_name(expert) << " in "
                             << report.expert_load_seconds << " s";
    } else {
      bundle_.release_expert(expert);
    }
    renderer_ = std::make_unique<SegmentRenderer>(bundle_, std::move(denoisers));
    if (failure) std::rethrow_exception(failure);
    MF_CHECK(ok, ModelError,
             "another rank of group " << topology_.group_index() << " could not load expert "
                                      << bundle_.preset().dit_name(expert)
                                      << " (its log says why)");
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
    std::exception_ptr failure;  // the leader's, when it could not open or repair the store
    if (leader_) {
      try {
        store.emplace(leader_store(task, path, identity));
      } catch (const std::exception&) {
        failure = std::current_exception();
      }
    }
    // The group agrees on the leader's outcome, so a leader that failed (disk full, say) never
    // leaves its members waiting in a collective it will not join.
    int ok = failure ? 0 : 1;
    if (group_size_ > 1) {
      parallel::check_mpi(MPI_Bcast(&ok, 1, MPI_INT, 0, topology_.group().get()),
                          "MPI_Bcast (latent store)");
    }
    if (!ok) {
      // The leader reports its own error, type included (a full disk is not a bad checkpoint).
      if (failure) std::rethrow_exception(failure);
      throw CheckpointError("the group leader could not open the latent store " + path +
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
    const int64_t resumed = start.resume ? start.resume->sampler.step_index : 0;
    // An expert phase that parks the asset (the high-noise phase): its state at the switch.
    const bool parks = task.stop_before_step >= 0;
    if (parks && resumed >= task.stop_before_step) {
      MF_LOG(Info, "worker") << task.name << ": its state at step " << resumed + 1
                             << " is already parked in " << store.path()
                             << " (an earlier run finished this phase), kept";
      if (leader_) {
        report.latent_path = store.path();
        report.latent_checksum = store.meta().identity.model_config_hash;
      }
      return;
    }
    // A later phase starts where the earlier one parked the asset; every rank reads the same
    // store, so all of them throw here or none.
    MF_CHECK(resumed >= task.begin_step, CheckpointError,
             task.name << " starts at step " << task.begin_step + 1
                       << " from the state the segment's previous expert phase parked in "
                       << store.path() << ", which holds "
                       << (start.resume ? "the state at step " + std::to_string(resumed + 1)
                                        : std::string("none"))
                       << ": rerun the job, which redoes that phase");
    // Resuming a phase where the previous one parked it is the plan, not a resume to report.
    report.resumed_at_step = resumed > task.begin_step ? resumed : 0;
    group_barrier();  // every rank has read before the leader writes a state
    std::optional<StateCheckpointer> checkpointer;
    if (leader_) {
      checkpointer.emplace(store, k, parks ? task.stop_before_step : task.asset.steps,
                           options_.checkpoint_every);
    }
    const StepObserver observer = [&](int64_t step, const SamplingCheckpoint& after) {
      const bool stop = step_boundary(task, step);
      if (checkpointer) checkpointer->after_step(step, after, stop);
      if (stop) throw StopAtStep{step + 1};
    };
    if (parks) {
      // Unlike the insurance states, this one is the phase's output: failing to write it fails
      // the task.
      const SamplingCheckpoint parked =
          renderer_->render_phase(task, start, task.stop_before_step, observer);
      if (leader_) store.write_state(k, to_stored_state(parked));
    } else {
      const at::Tensor latent = renderer_->render_segment(task, start, observer);
      if (leader_) store.write_segment(k, latent);
    }
    if (leader_) {
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
    if (timed_) timed_->take_seconds();
    MF_LOG(Info, "worker") << "task " << task.name << " attempt " << task.attempt << " starts";
    try {
      MF_CHECK(!task.fail_on_purpose, Error,
               "failed on purpose (test hook MOTIONFARM_TEST_FAIL_FIRST_ATTEMPT names asset '"
                   << task.asset.id << "')");
      if (task.kind == FarmTaskKind::kSegment) {
        if (task.expert >= 0) hold_expert(task.expert, report);
        render_segment(task, report);
      } else if (leader_) {
        // Decoding and encoding are the leader's alone; members wait for the next task.
        const io::LatentStore store = io::LatentStore::open(
            latent_store_path(task.latent_folder),
            latent_store_identity(task.asset, options_.bundle->preset().name));
        report.outputs = renderer_->assemble(task, store);
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
      report.error = task_error_message(error);
      report.error_type = task_error_type(error);
    }
    report.seconds = now_seconds() - start;
    report.forward_seconds = timed_ ? timed_->take_seconds() : 0.0;
    report.resident_expert = resident_;
    MF_LOG(Info, "worker") << "task " << task.name << " attempt " << task.attempt << " "
                           << to_string(report.kind) << " in " << report.seconds << " s"
                           << (report.error.empty() ? "" : ": " + report.error);
    return report;
  }

  const FarmWorkerOptions& options_;
  const parallel::Topology& topology_;
  const bool leader_;
  const int group_size_;
  ModelBundle& bundle_;
  // Presets with experts: the expert the group holds (-1: none) and the denoiser over its DiT.
  int64_t resident_ = -1;
  std::unique_ptr<GroupDenoiser> expert_denoiser_;
  // Declared after what they borrow, so they go first.
  std::unique_ptr<TimedDenoiser> timed_;
  std::unique_ptr<SegmentRenderer> renderer_;
};

}  // namespace

void run_farm_worker(const FarmWorkerOptions& options) {
  MF_CHECK(options.topology && options.bundle, Error,
           "run_farm_worker needs a topology and a bundle");
  GroupWorker worker(options);
  worker.run();
}

}  // namespace motionfarm::rank
