#include "rank/farm_worker.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/log.h"
#include "rank/farm_channel.h"
#include "rank/farm_task.h"
#include "rank/file_checksum.h"
#include "rank/group_denoiser.h"
#include "rank/group_latent_store.h"
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
        text = receive_text(*options_.farm, kCoordinator, kTagAssignment);
      }
      if (group_size_ > 1) broadcast_text(topology_.group(), text, 0);
      const Assignment assignment = decode_assignment(text);
      if (assignment.stop) {  // members leave with their leader
        if (leader_) {
          MF_LOG(Info, "worker") << "group " << topology_.group_index()
                                 << " stops: " << assignment.stop_reason;
        }
        return;
      }
      MF_CHECK(!assignment.tasks.empty(), CommError, "farm message: an assignment without tasks");
      std::vector<TaskReport> reports =
          assignment.tasks.size() == 1 ? std::vector<TaskReport>{execute(assignment.tasks.front())}
                                       : execute_batch(assignment.tasks);
      // Every member's report but the last goes now; the last asks for the next work.
      for (size_t i = 0; i < reports.size(); ++i) {
        reports[i].group = topology_.group_index();
        reports[i].batch_remaining = static_cast<int64_t>(reports.size() - 1 - i);
        reports[i].batch_size = static_cast<int64_t>(reports.size());
        if (leader_ && i + 1 < reports.size()) {
          send_text(*options_.farm, kCoordinator, kTagReport, encode(reports[i]));
        }
      }
      report = reports.back();
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

  void render_segment(const FarmTask& task, TaskReport& report) {
    io::LatentStore store = open_group_latent_store(task, bundle_.preset().name, topology_);
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
    // Only now, when the store says there is sampling to do: a rerun that finds the phase's
    // result stored loads no expert for it.
    if (task.expert >= 0) hold_expert(task.expert, report);
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

  // Batches (docs/farm.md "Batching"): segment tasks at the same place of assets with one batch
  // key, sampled in lockstep. Each member's latent store is opened as a single task's is, and
  // what an earlier run left in it decides where the batch starts:
  //   - a member whose result is already stored is kept, not rendered again;
  //   - the others resume together from their stored states when those are at one step;
  //   - otherwise (a run killed while it wrote the members' states or results) a batch starting
  //     at step 0 restarts there with every member, the kept ones riding along unwritten, so each
  //     member's latents stay bitwise those of an uninterrupted run of the same batch; a later
  //     expert phase (whose start is a parked state, not step 0) runs its members in sub-batches
  //     of one resume step each instead.
  // A member's failure (its image, its store, its NaN) fails that member and hands the others back
  // unrun (kRequeued): the coordinator re-forms the batch, so its composition never depends on a
  // transient failure. A failure of the whole forward (out of memory) fails every member.
  struct BatchSlot {
    const FarmTask* task = nullptr;
    std::optional<io::LatentStore> store;
    SegmentStart start;
    int64_t resumed = 0;
    bool kept = false;  // its result was already stored
  };

  std::vector<TaskReport> execute_batch(const std::vector<FarmTask>& tasks) {
    const size_t n = tasks.size();
    std::vector<TaskReport> reports(n);
    for (size_t m = 0; m < n; ++m) {
      reports[m].task = tasks[m].task;
      reports[m].attempt = tasks[m].attempt;
    }
    const double start = now_seconds();
    if (timed_) timed_->take_seconds();
    std::string names;
    for (const FarmTask& task : tasks) names += (names.empty() ? "" : ", ") + task.name;
    MF_LOG(Info, "worker") << "batch of " << n << " starts: " << names;
    try {
      for (const FarmTask& task : tasks) {
        MF_CHECK(task.kind == FarmTaskKind::kSegment && task.expert == tasks.front().expert &&
                     task.begin_step == tasks.front().begin_step &&
                     task.stop_before_step == tasks.front().stop_before_step,
                 CommError, "farm message: a batch mixes tasks of different kinds or phases");
      }
      // Test hook (docs/farm.md): a batch of more members than MOTIONFARM_TEST_BATCH_MEMORY
      // fails as out of memory, as a GPU would, so the smaller-batch retry runs end to end.
      if (const char* fits = std::getenv("MOTIONFARM_TEST_BATCH_MEMORY")) {
        MF_CHECK(static_cast<int64_t>(n) <= std::atoll(fits), Error,
                 "out of memory (test hook MOTIONFARM_TEST_BATCH_MEMORY=" << fits << ": a batch of "
                                                                          << n << " does not fit)");
      }
      render_batch(tasks, reports);
      for (TaskReport& report : reports) report.kind = ReportKind::kDone;
    } catch (const StopAtStep& stop) {
      for (size_t m = 0; m < n; ++m) {
        reports[m].kind = ReportKind::kInterrupted;
        reports[m].error = "stopped at the step boundary after step " +
                           std::to_string(stop.steps_done) + " of " +
                           std::to_string(tasks[m].asset.steps);
      }
    } catch (const BatchMemberError& failure) {
      std::string error, type;
      try {
        std::rethrow_exception(failure.error());
      } catch (const CommError&) {
        throw;
      } catch (const std::exception& inner) {
        error = task_error_message(inner);
        type = task_error_type(inner);
      }
      for (size_t m = 0; m < n; ++m) {
        if (m == failure.member()) {
          reports[m].kind = ReportKind::kFailed;
          reports[m].error = error;
          reports[m].error_type = type;
        } else {
          reports[m].kind = ReportKind::kRequeued;
          reports[m].error =
              "not run: batch member " + tasks[failure.member()].name + " failed (" + type + ")";
        }
      }
    } catch (const CommError&) {
      throw;
    } catch (const std::exception& error) {
      for (TaskReport& report : reports) {
        report.kind = ReportKind::kFailed;
        report.error = task_error_message(error);
        report.error_type = task_error_type(error);
      }
    }
    const double seconds = now_seconds() - start;
    // The batch ran once for all members: each gets its share of the time, so the sums over
    // attempts (the report's stages, utilisation) stay the group's real time.
    const double forward = timed_ ? timed_->take_seconds() : 0.0;
    for (TaskReport& report : reports) {
      report.seconds = seconds / static_cast<double>(n);
      report.forward_seconds = forward / static_cast<double>(n);
      report.resident_expert = resident_;
    }
    MF_LOG(Info, "worker") << "batch of " << n << " " << to_string(reports.front().kind) << " in "
                           << seconds << " s" << (reports.front().error.empty() ? "" : ": ")
                           << reports.front().error;
    return reports;
  }

  // Throws BatchMemberError (the member's index in `tasks`) for what is one member's fault.
  template <class Fn>
  static auto for_member(size_t m, Fn fn) {
    try {
      return fn();
    } catch (const CommError&) {
      throw;
    } catch (const StopAtStep&) {
      throw;
    } catch (const std::exception&) {
      throw BatchMemberError(m, std::current_exception());
    }
  }

  void render_batch(const std::vector<FarmTask>& tasks, std::vector<TaskReport>& reports) {
    const size_t n = tasks.size();
    const FarmTask& first = tasks.front();
    const bool parks = first.stop_before_step >= 0;
    for (size_t m = 0; m < n; ++m) {
      for_member(m, [&] {
        MF_CHECK(!tasks[m].fail_on_purpose, Error,
                 "failed on purpose (test hook MOTIONFARM_TEST_FAIL_FIRST_ATTEMPT names asset '"
                     << tasks[m].asset.id << "')");
      });
    }
    std::vector<BatchSlot> slots(n);
    for (size_t m = 0; m < n; ++m) {
      BatchSlot& slot = slots[m];
      slot.task = &tasks[m];
      slot.store.emplace(for_member(
          m, [&] { return open_group_latent_store(tasks[m], bundle_.preset().name, topology_); }));
      for_member(m, [&] { read_start(slot, parks); });
    }
    for (size_t m = 0; m < n; ++m) {
      if (!leader_) continue;
      reports[m].latent_path = slots[m].store->path();
      reports[m].latent_checksum = slots[m].store->meta().identity.model_config_hash;
    }
    std::vector<size_t> computing;
    for (size_t m = 0; m < n; ++m) {
      if (!slots[m].kept) computing.push_back(m);
    }
    if (computing.empty()) {
      MF_LOG(Info, "worker") << "batch: every member's result is already stored (an earlier run "
                                "finished it), kept";
      return;
    }
    // An expert is loaded only for sampling there is to do (not for results already stored).
    if (first.expert >= 0) hold_expert(first.expert, reports.front());
    std::map<int64_t, std::vector<size_t>> by_step;
    for (size_t m : computing) by_step[slots[m].resumed].push_back(m);
    if (by_step.size() == 1 && computing.size() == n) {
      sample_members(slots, computing, {}, reports);
    } else if (first.begin_step == 0) {
      MF_LOG(Warn, "worker") << "batch: its members were left at different points by an earlier "
                                "run; the batch restarts at step 1 with every member, so each "
                                "stays bitwise as an uninterrupted run of this batch makes it";
      std::vector<size_t> all, riders;
      for (size_t m = 0; m < n; ++m) {
        slots[m].start.resume.reset();
        slots[m].resumed = 0;
        all.push_back(m);
        if (slots[m].kept) riders.push_back(m);
      }
      sample_members(slots, all, riders, reports);
    } else {
      MF_LOG(Warn, "worker") << "batch: its members' parked states are at " << by_step.size()
                             << " different steps; running them in " << by_step.size()
                             << " sub-batches (their rounding may differ from an uninterrupted "
                                "run's)";
      for (const auto& [step, members] : by_step) sample_members(slots, members, {}, reports);
    }
  }

  // What the member's store holds for its task: kept (already finished), or its start.
  void read_start(BatchSlot& slot, bool parks) {
    const FarmTask& task = *slot.task;
    io::LatentStore& store = *slot.store;
    const int k = static_cast<int>(task.segment_index);
    if (k > 0) slot.start.previous_latents = store.read_segment(k - 1);
    if (k > 0 && task.asset.color_match) slot.start.anchor_latents = store.read_segment(0);
    if (store.has_complete_segment(k)) {
      slot.kept = true;
      return;
    }
    if (auto state = store.read_state(k)) slot.start.resume = from_stored_state(*state);
    slot.resumed = slot.start.resume ? slot.start.resume->sampler.step_index : 0;
    if (parks && slot.resumed >= task.stop_before_step) {
      slot.kept = true;
      return;
    }
    MF_CHECK(
        slot.resumed >= task.begin_step, CheckpointError,
        task.name << " starts at step " << task.begin_step + 1
                  << " from the state the segment's previous expert phase parked in "
                  << store.path() << ", which holds "
                  << (slot.start.resume ? "the state at step " + std::to_string(slot.resumed + 1)
                                        : std::string("none"))
                  << ": rerun the job, which redoes that phase");
  }

  // Samples `members` (indices into `slots`) in lockstep and stores each result; `riders` are
  // members already kept, sampled only so the batch is the one an uninterrupted run samples.
  void sample_members(std::vector<BatchSlot>& slots, const std::vector<size_t>& members,
                      const std::vector<size_t>& riders, std::vector<TaskReport>& reports) {
    const FarmTask& first = *slots[members.front()].task;
    const bool parks = first.stop_before_step >= 0;
    const auto rides = [&riders](size_t m) {
      return std::find(riders.begin(), riders.end(), m) != riders.end();
    };
    std::vector<SegmentRenderer::BatchSegment> batch;
    std::vector<StateCheckpointer::Target> targets;
    std::vector<size_t> written;  // positions in `members` whose state and result are stored
    for (size_t i = 0; i < members.size(); ++i) {
      BatchSlot& slot = slots[members[i]];
      batch.push_back({slot.task, &slot.start});
      if (rides(members[i])) continue;
      written.push_back(i);
      targets.push_back({&*slot.store, static_cast<int>(slot.task->segment_index)});
      const int64_t resumed = slot.resumed;
      if (leader_) reports[members[i]].resumed_at_step = resumed > first.begin_step ? resumed : 0;
    }
    group_barrier();  // every rank has read before the leader writes a state
    std::optional<StateCheckpointer> checkpointer;
    if (leader_) {
      checkpointer.emplace(targets, parks ? first.stop_before_step : first.asset.steps,
                           options_.checkpoint_every);
    }
    const BatchStepObserver observer = [&](int64_t step,
                                           const std::vector<SamplingCheckpoint>& after) {
      const bool stop = step_boundary(first, step);
      if (checkpointer) {
        std::vector<SamplingCheckpoint> stored;
        for (size_t i : written) stored.push_back(after[i]);
        checkpointer->after_step(step, stored, stop);
      }
      if (stop) throw StopAtStep{step + 1};
    };
    std::vector<SamplingCheckpoint> results;
    try {
      results = renderer_->render_batch_phase(batch, parks ? first.stop_before_step : -1, observer);
    } catch (const BatchMemberError& failure) {
      throw BatchMemberError(members[failure.member()], failure.error());  // index into `slots`
    }
    if (!leader_) return;
    for (size_t i : written) {
      BatchSlot& slot = slots[members[i]];
      const int k = static_cast<int>(slot.task->segment_index);
      for_member(members[i], [&] {
        if (parks) {
          slot.store->write_state(k, to_stored_state(results[i]));
        } else {
          slot.store->write_segment(
              k, renderer_->finish_segment(*slot.task, slot.start, results[i].latent));
        }
      });
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
