#include "coordinator/farm_coordinator.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "core/check.h"
#include "core/exit_codes.h"
#include "core/log.h"
#include "rank/farm_channel.h"
#include "rank/farm_task.h"
#include "rank/stop_request.h"

namespace motionfarm::coordinator {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string duration_text(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof(text), "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>((s % 3600) / 60));
  } else if (s >= 60) {
    std::snprintf(text, sizeof(text), "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(text, sizeof(text), "%llds", static_cast<long long>(s));
  }
  return text;
}

// The coordinator's human-readable log: one timestamped line per event.
class HumanLog {
 public:
  explicit HumanLog(const std::string& path) {
    if (!path.empty()) out_.open(path, std::ios::app);
  }
  void line(const std::string& text) {
    MF_LOG(Info, "coordinator") << text;
    if (!out_) return;
    const std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", std::localtime(&now));
    out_ << stamp << "  " << text << "\n" << std::flush;
  }

 private:
  std::ofstream out_;
};

struct Running {
  size_t task = 0;
  int attempt = 1;
  int64_t attempt_id = 0;
  Clock::time_point started = Clock::now();
  bool timed_out = false;  // told to stop at a step boundary because of resources.task_timeout
};

struct Activity {
  std::string task;
  int64_t step = 0;
  int64_t steps = 0;
  bool dirty = false;
};

class Coordinator {
 public:
  explicit Coordinator(const CoordinatorOptions& options)
      : o_(options),
        scheduler_(*options.scheduler),
        graph_(options.scheduler->graph()),
        ledger_(*options.ledger),
        log_(options.coordinator_log),
        leaders_(options.farm->size()) {
    MF_CHECK_EQ(options.farm->rank(), 0, Error, "the coordinator must be rank 0 of the farm");
    // The job's own deliverables: paths an earlier run claimed that hold a file now (a clip a
    // killed run wrote, or one being redone). Start-up already failed the assets whose paths hold
    // a file the job did not claim (coordinator/resume.cpp).
    for (const auto& [path, output] : ledger_.outputs()) {
      std::error_code error;
      if (std::filesystem::exists(path, error)) own_outputs_.insert(path);
    }
  }

  FarmOutcome run() {
    const SchedulerCounts initial = scheduler_.counts();
    log_.line("run " + std::to_string(o_.run_id) + ": job '" + o_.job->name + "', " +
              std::to_string(initial.assets) + " assets (" + std::to_string(initial.assets_done) +
              " already done), " + std::to_string(o_.num_groups) + " model group" +
              (o_.num_groups == 1 ? "" : "s"));
    Clock::time_point last_tick = Clock::now();
    Clock::time_point last_report = Clock::now();
    while (stopped_leaders_ < leaders_) {
      if (!stopping_ && rank::stop_requested()) {
        begin_stop("signal " + std::to_string(rank::stop_signal()) + " received");
      }
      int from = -1;
      if (rank::message_waiting(*o_.farm, MPI_ANY_SOURCE, rank::kTagReport, &from)) {
        handle(from, rank::decode_report(rank::receive_text(*o_.farm, from, rank::kTagReport)));
        dispatch();
      } else {
        // Polling keeps the loop free to notice a signal; a millisecond is nothing next to a
        // sampling step.
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (since(last_tick) >= 1.0) {
        last_tick = Clock::now();
        flush_activity();
        if (o_.progress_tty) {
          std::fprintf(stderr, "\r%s\033[K", progress_line().c_str());
          std::fflush(stderr);
        } else if (since(last_report) >= o_.progress_interval_s) {
          last_report = Clock::now();
          MF_LOG(Info, "progress") << progress_line();
        }
      }
    }
    if (o_.progress_tty) std::fprintf(stderr, "\r%s\033[K\n", progress_line().c_str());
    ledger_.clear_group_activity();
    return finish();
  }

 private:
  void begin_stop(const std::string& reason) {
    stopping_ = true;
    stop_reason_ = reason;
    log_.line("stopping: " + reason + "; every group leaves its task at the next step boundary");
  }

  void handle(int from, const rank::TaskReport& report) {
    using rank::ReportKind;
    if (report.kind == ReportKind::kProgress) {
      // Written at once: `motionfarm status` shows each group's step (one small WAL commit,
      // negligible next to a sampling step).
      Activity& activity = activity_[report.group];
      activity.step = report.step;
      activity.steps = report.steps;
      activity.dirty = true;
      flush_activity();
      rank::send_text(*o_.farm, from, rank::kTagStepReply,
                      stopping_ || over_time(from) ? "stop" : "go");
      return;
    }
    // One transaction for the attempt, the task, its outputs and the asset's state.
    if (report.kind != ReportKind::kReady) ledger_.atomically([&] { finish_task(from, report); });
    // A batch ends with one report per member; the last one asks for the next work.
    if (report.batch_remaining > 0) return;
    resident_[from] = report.resident_expert;
    waiting_.push_back(from);
  }

  // resources.task_timeout: a segment that runs longer is stopped at its next step boundary (its
  // state is stored there) and counted as a failed attempt, so a retry continues it and a stuck
  // asset ends failed after max_attempts instead of holding its group all night. A task that hangs
  // inside a step never reaches a boundary; Slurm's time limit is the backstop for that.
  bool over_time(int leader) {
    const double limit = o_.job->resources.task_timeout_s;
    const auto it = running_.find(leader);
    if (limit <= 0.0 || it == running_.end() || it->second.empty() || stopping_) return false;
    // A batch's members started together and stop together.
    const double elapsed = since(it->second.front().started);
    if (elapsed > limit && !it->second.front().timed_out) {
      for (Running& running : it->second) running.timed_out = true;
      log_.line("task " + graph_.tasks()[it->second.front().task].name +
                (it->second.size() > 1 ? " (and its batch)" : "") + " ran " +
                std::to_string(static_cast<int64_t>(elapsed)) +
                " s, over resources.task_timeout (" + std::to_string(static_cast<int64_t>(limit)) +
                " s): stopping it at this step");
    }
    return it->second.front().timed_out;
  }

  void finish_task(int from, const rank::TaskReport& received) {
    const auto it = running_.find(from);
    MF_CHECK(it != running_.end(), CommError,
             "group leader " << from << " reported a task it was never given");
    std::vector<Running>& batch = it->second;
    const auto member = std::find_if(batch.begin(), batch.end(), [&](const Running& r) {
      return static_cast<int64_t>(r.task) == received.task;
    });
    MF_CHECK(member != batch.end(), CommError,
             "group leader " << from << " reported task " << received.task
                             << ", which it was not given");
    const Running running = *member;
    batch.erase(member);
    if (batch.empty()) running_.erase(it);
    // A stop the coordinator asked for because of task_timeout is the attempt's failure.
    rank::TaskReport report = received;
    if (running.timed_out && report.kind == rank::ReportKind::kInterrupted) {
      report.kind = rank::ReportKind::kFailed;
      report.error_type = "timeout";
      report.error = "over resources.task_timeout (" +
                     std::to_string(static_cast<int64_t>(o_.job->resources.task_timeout_s)) +
                     " s); " + received.error + ", its state kept for the retry";
    }
    // Out of memory in a batch is the batch's size, not the asset: fewer members run together
    // from now on and the task goes back without using up an attempt.
    if (report.kind == rank::ReportKind::kFailed && report.error_type == "out-of-memory" &&
        report.batch_size > 1) {
      if (scheduler_.batch_limit(running.task) >= report.batch_size &&
          scheduler_.shrink_batch(running.task)) {
        log_.line("a batch of " + std::to_string(report.batch_size) +
                  " ran out of memory on group " + std::to_string(report.group) + ": from now on " +
                  std::to_string(scheduler_.batch_limit(running.task)) +
                  " of its members run together (" + report.error + ")");
      }
      report.kind = rank::ReportKind::kRequeued;
      report.error = "out of memory in a batch of " + std::to_string(report.batch_size) +
                     ", run again in a smaller one (" + report.error + ")";
    }
    const TaskNode& node = graph_.tasks()[running.task];
    const std::string& asset_id = graph_.assets()[node.asset].id;
    if (report.expert_loaded >= 0) record_expert_load(report, node);
    AttemptEnd end;
    end.outcome = rank::to_string(report.kind);
    end.error_type = report.error_type;
    end.error = report.error;
    end.seconds = report.seconds;
    end.forward_seconds = report.forward_seconds;
    ledger_.attempt_ended(running.attempt_id, end);
    forward_seconds_ += report.forward_seconds;
    ++tasks_run_;
    if (report.batch_remaining == 0) activity_[report.group] = Activity{"", 0, 0, true};

    if (report.resumed_at_step > 0) {
      log_.line(node.name + " resumed from its stored state at step " +
                std::to_string(report.resumed_at_step + 1));
    }
    switch (report.kind) {
      case rank::ReportKind::kDone: {
        scheduler_.succeeded(running.task);
        LedgerTask task;
        task.name = node.name;
        task.asset_id = asset_id;
        // A phase that parks its asset finishes no segment: `status` and the report count
        // segments by the tasks of kind "segment".
        task.kind = node.parks_asset() ? "phase" : to_string(node.kind);
        task.segment_index = node.segment_index;
        task.latent_path = report.latent_path;
        task.checksum = report.latent_checksum;
        for (const rank::OutputRecord& output : report.outputs) {
          ledger_.output_written(
              {output.path, asset_id, output.format, "written", output.bytes, output.checksum});
        }
        ledger_.task_done(task);
        if (scheduler_.asset_state(node.asset) == AssetState::kDone) {
          ledger_.set_asset_state(asset_id, "done", "");
          ++finished_this_run_;
          log_.line("asset " + asset_id + " done");
        }
        break;
      }
      case rank::ReportKind::kFailed: {
        const FailureOutcome outcome = scheduler_.failed(running.task, report.error);
        log_.line("task " + node.name + " attempt " + std::to_string(running.attempt) +
                  " failed on group " + std::to_string(report.group) + " (" + report.error_type +
                  "): " + report.error);
        if (outcome == FailureOutcome::kAssetFailed) {
          ledger_.set_asset_state(asset_id, "failed", scheduler_.asset_error(node.asset));
          ++finished_this_run_;
          log_.line("asset " + asset_id + " FAILED: " + scheduler_.asset_error(node.asset));
        }
        break;
      }
      case rank::ReportKind::kRequeued:
        scheduler_.interrupted(running.task);
        MF_LOG(Info, "coordinator")
            << "task " << node.name << " back in the queue: " << report.error;
        break;
      case rank::ReportKind::kInterrupted:
        scheduler_.interrupted(running.task);
        log_.line("task " + node.name + " interrupted at a step boundary; a rerun redoes it");
        if (!stopping_) begin_stop("group " + std::to_string(report.group) + " was stopped");
        break;
      default:
        throw CommError("unexpected report '" + std::string(rank::to_string(report.kind)) + "'");
    }
  }

  // A group moved an expert DiT onto its devices before the task: the swap phase batching is
  // there to keep rare, counted in the log and the ledger.
  void record_expert_load(const rank::TaskReport& report, const TaskNode& node) {
    ++expert_loads_;
    const std::vector<ExpertFacts>& experts = o_.job->model.facts.experts;
    const std::string expert = report.expert_loaded < static_cast<int64_t>(experts.size())
                                   ? experts[static_cast<size_t>(report.expert_loaded)].name
                                   : "expert " + std::to_string(report.expert_loaded);
    ExpertLoad load;
    load.run_id = o_.run_id;
    load.group = report.group;
    load.expert = expert;
    load.task = node.name;
    load.seconds = report.expert_load_seconds;
    ledger_.expert_loaded(load);
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%.1f", report.expert_load_seconds);
    log_.line("group " + std::to_string(report.group) + " loaded expert " + expert +
              " (expert load " + std::to_string(expert_loads_) + " of this run, " + seconds +
              " s, for " + node.name + ")");
  }

  void dispatch() {
    while (!waiting_.empty()) {
      const int leader = waiting_.front();
      if (stopping_ || scheduler_.settled()) {
        waiting_.pop_front();
        rank::Assignment stop;
        stop.stop = true;
        stop.stop_reason = stopping_ ? stop_reason_ : "every asset is done or failed";
        rank::send_text(*o_.farm, leader, rank::kTagAssignment, rank::encode(stop));
        ++stopped_leaders_;
        continue;
      }
      const auto resident = resident_.find(leader);
      const std::vector<size_t> next =
          scheduler_.next_tasks(resident == resident_.end() ? kNoExpert : resident->second);
      if (next.empty()) return;  // the ready work is running; wait for a result
      waiting_.pop_front();
      assign(leader, next);
    }
  }

  // One task, or a batch of them (scheduler.h): each is its own attempt in the ledger.
  void assign(int leader, const std::vector<size_t>& tasks) {
    rank::Assignment assignment;
    std::vector<Running>& running = running_[leader];
    std::string names;
    for (size_t task_index : tasks) {
      assignment.tasks.push_back(farm_task(task_index));
      const rank::FarmTask& task = assignment.tasks.back();
      names += (names.empty() ? "" : ", ") + task.name;
      // The group index is the leader's rank in the farm communicator (Topology orders them so).
      const int64_t attempt_id =
          ledger_.attempt_started(o_.run_id, task.name, task.asset.id, task.attempt, leader);
      running.push_back(Running{task_index, task.attempt, attempt_id});
    }
    const TaskNode& node = graph_.tasks()[tasks.front()];
    const rank::FarmTask& first = assignment.tasks.front();
    activity_[leader] =
        Activity{tasks.size() == 1 ? node.name
                                   : node.name + " (batch of " + std::to_string(tasks.size()) + ")",
                 0, node.kind == TaskKind::kSegment ? first.asset.steps : 0, true};
    if (tasks.size() > 1) {
      log_.line("batch of " + std::to_string(tasks.size()) + " to group " + std::to_string(leader) +
                ": " + names);
    }
    MF_LOG(Debug, "coordinator") << "tasks " << names << " -> group " << leader;
    rank::send_text(*o_.farm, leader, rank::kTagAssignment, rank::encode(assignment));
  }

  rank::FarmTask farm_task(size_t task_index) {
    const TaskNode& node = graph_.tasks()[task_index];
    const AssetPlan& plan = (*o_.plans)[node.asset];
    rank::FarmTask task;
    task.task = static_cast<int64_t>(task_index);
    task.name = node.name;
    task.kind = node.kind == TaskKind::kSegment ? rank::FarmTaskKind::kSegment
                                                : rank::FarmTaskKind::kAssembly;
    task.segment_index = node.segment_index;
    task.expert = node.expert;
    task.begin_step = node.begin_step;
    task.stop_before_step = node.parks_asset() ? node.end_step : -1;
    task.attempt = scheduler_.failed_attempts(task_index) + 1;
    task.latent_folder = latent_folder(o_.state_dir, plan.render.id);
    // The test hook fails the asset's first task once, so the retry path runs end to end.
    task.fail_on_purpose = task.attempt == 1 &&
                           task_index == graph_.asset_tasks(node.asset).front() &&
                           o_.fail_first_attempt.count(plan.render.id) > 0;
    task.asset = plan.render;
    if (node.kind == TaskKind::kAssembly) {
      for (rank::Deliverable& d : task.asset.deliverables) {
        // A file there now is replaced only when the manifest says so or it is the job's own;
        // one that appears while the task runs is never replaced (io/staged_output.h).
        d.replace = o_.job->output.overwrite || own_outputs_.count(d.path) > 0;
        ledger_.claim_output(d.path, plan.render.id, d.format);
      }
    }
    return task;
  }

  void flush_activity() {
    for (auto& [group, activity] : activity_) {
      if (!activity.dirty) continue;
      ledger_.set_group_activity(group, o_.run_id, activity.task, activity.step, activity.steps);
      activity.dirty = false;
    }
  }

  std::string progress_line() const {
    const SchedulerCounts c = scheduler_.counts();
    const double elapsed = since(start_);
    std::ostringstream line;
    line << "[" << o_.job->name << "] " << c.assets_done << "/" << c.assets << " done, "
         << c.assets_failed << " failed, " << c.tasks_running << " tasks running";
    if (finished_this_run_ > 0 && elapsed > 0) {
      const double per_minute = static_cast<double>(finished_this_run_) * 60.0 / elapsed;
      const int64_t remaining = c.assets - c.assets_done - c.assets_failed;
      line.precision(3);
      line << " | " << per_minute << " assets/min | ETA "
           << duration_text(static_cast<double>(remaining) * 60.0 / per_minute);
    }
    line << " | " << duration_text(elapsed);
    return line.str();
  }

  FarmOutcome finish() {
    FarmOutcome outcome;
    const SchedulerCounts c = scheduler_.counts();
    outcome.assets = c.assets;
    outcome.done = c.assets_done;
    outcome.failed = c.assets_failed;
    outcome.stopped = stopping_ && !scheduler_.settled();
    outcome.wall_seconds = since(start_);
    outcome.forward_seconds = forward_seconds_;
    outcome.tasks_run = tasks_run_;
    outcome.expert_loads = expert_loads_;
    for (size_t a = 0; a < graph_.assets().size(); ++a) {
      if (scheduler_.asset_state(a) == AssetState::kFailed) {
        outcome.failures.push_back(graph_.assets()[a].id + ": " + scheduler_.asset_error(a));
      }
    }
    std::ostringstream summary;
    summary << outcome.done << " of " << outcome.assets << " assets done, " << outcome.failed
            << " failed";
    if (outcome.stopped) {
      summary << ", " << (outcome.assets - outcome.done - outcome.failed) << " left: stopped ("
              << stop_reason_ << "); rerun the same command to resume";
      outcome.exit_code = kExitPreempted;
    } else {
      outcome.exit_code = outcome.failed > 0 ? kExitAssetsFailed : kExitSuccess;
    }
    summary << " (" << tasks_run_ << " tasks";
    if (!o_.job->model.facts.experts.empty()) summary << ", " << expert_loads_ << " expert loads";
    summary << " in " << duration_text(outcome.wall_seconds) << ")";
    outcome.summary = summary.str();
    log_.line("run " + std::to_string(o_.run_id) + " ends: " + outcome.summary);
    for (const std::string& failure : outcome.failures) log_.line("  failed " + failure);
    ledger_.end_run(o_.run_id, outcome.exit_code, outcome.summary);
    return outcome;
  }

  const CoordinatorOptions& o_;
  Scheduler& scheduler_;
  const WorkGraph& graph_;
  JobLedger& ledger_;
  HumanLog log_;
  const int leaders_;
  const Clock::time_point start_ = Clock::now();
  std::deque<int> waiting_;
  std::map<int, std::vector<Running>> running_;  // per leader: its task, or its batch
  std::map<int, Activity> activity_;
  std::set<std::string> own_outputs_;
  int stopped_leaders_ = 0;
  bool stopping_ = false;
  std::string stop_reason_;
  int64_t finished_this_run_ = 0;
  int64_t tasks_run_ = 0;
  double forward_seconds_ = 0.0;
  std::map<int, int64_t> resident_;  // the expert each group holds (kNoExpert: none)
  int64_t expert_loads_ = 0;
};

}  // namespace

FarmOutcome run_coordinator(const CoordinatorOptions& options) {
  MF_CHECK(options.job && options.plans && options.ledger && options.scheduler && options.farm,
           Error, "run_coordinator needs a job, plans, a ledger, a scheduler and the farm comm");
  Coordinator coordinator(options);
  return coordinator.run();
}

}  // namespace motionfarm::coordinator
