#include "coordinator/farm_run.h"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "coordinator/asset_plan.h"
#include "coordinator/batch_ledger.h"
#include "coordinator/batch_plan.h"
#include "coordinator/farm_coordinator.h"
#include "coordinator/job_ledger.h"
#include "coordinator/manifest_naming.h"
#include "coordinator/manifest_reader.h"
#include "coordinator/report_refresher.h"
#include "coordinator/resume.h"
#include "coordinator/scheduler.h"
#include "core/build_info.h"
#include "core/check.h"
#include "core/exit_codes.h"
#include "core/log.h"
#include "model/prompt_cache.h"
#include "parallel/gpu_runtime.h"
#include "parallel/mpi_comm.h"
#include "parallel/mpi_runtime.h"
#include "parallel/parallel_layout.h"
#include "parallel/topology.h"
#include "rank/demo_model.h"
#include "rank/farm_channel.h"
#include "rank/farm_worker.h"
#include "rank/group_denoiser.h"
#include "rank/model_bundle.h"
#include "rank/model_files.h"
#include "rank/model_preset.h"
#include "rank/resource_usage.h"
#include "rank/stop_request.h"

namespace motionfarm::coordinator {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The prompt embeddings one rank keeps: ~1,000 distinct umT5-XXL prompts at 512 x 4096 float32
// would be 8 GiB, so the least recently used go first; assets sharing a prompt tend to be
// scheduled close together, and an asset's segments always reuse theirs.
constexpr int64_t kPromptCacheBytes = int64_t{256} * 1024 * 1024;

// Rank 0's start-up: everything it decides before the other ranks load the model.
struct Startup {
  Job job;
  std::string state_dir;
  parallel::ParallelLayout layout;
  std::unique_ptr<JobLedger> ledger;
  std::vector<AssetPlan> plans;
  std::unique_ptr<Scheduler> scheduler;
  int64_t run_id = 0;
};

std::set<std::string> fail_first_attempt_ids() {
  std::set<std::string> ids;
  const char* env = std::getenv("MOTIONFARM_TEST_FAIL_FIRST_ATTEMPT");
  if (!env) return ids;
  std::stringstream list(env);
  for (std::string id; std::getline(list, id, ',');) {
    if (!id.empty()) ids.insert(id);
  }
  return ids;
}

parallel::ParallelLayout choose_layout(const FarmRunOptions& options, const Job& job,
                                       int world_size) {
  parallel::ParallelLayout layout;  // auto: one rank per group, every rank renders its own asset
  if (!options.layout.empty() && options.layout != "auto") {
    layout = parallel::ParallelLayout::parse(options.layout);
  } else if (options.layout.empty() && job.layout) {
    layout = *job.layout;
  }
  const ModelFacts& facts = job.model.facts;
  parallel::validate_layout(layout, {facts.num_heads, facts.dim, facts.ffn_dim}, world_size);
  return layout;
}

Startup start_job(const FarmRunOptions& options, int world_size) {
  Startup s;
  ManifestOptions manifest_options;
  manifest_options.world_size = world_size;
  s.job = load_job(options.manifest, manifest_options);
  if (!options.output_root.empty()) {
    s.job.output.root = fs::absolute(options.output_root).lexically_normal().string();
  }
  s.layout = choose_layout(options, s.job, world_size);
  s.state_dir = options.state_dir.empty() ? default_state_dir(s.job.output.root, s.job.name)
                                          : fs::absolute(options.state_dir).string();
  s.ledger = std::make_unique<JobLedger>(s.state_dir);
  const std::optional<std::string> name = s.ledger->job_value("name");
  MF_CHECK(!name || *name == s.job.name, ConfigError,
           "state folder " << s.state_dir << " belongs to job '" << *name << "', not '"
                           << s.job.name << "': pass another --state-dir");
  s.ledger->set_job_value("name", s.job.name);
  s.ledger->set_job_value("manifest", s.job.manifest_path);
  s.ledger->set_job_value("output_root", s.job.output.root);
  s.ledger->set_job_value("motionfarm_version", std::string(core::build_info().version) + " (" +
                                                    core::build_info().git_commit + ")");
  // {date} is the job's first start date, so a rerun on another day writes the same paths.
  std::optional<std::string> date = s.ledger->job_value("date");
  if (!date) {
    date = today_date();
    s.ledger->set_job_value("date", *date);
  }
  for (const AssetSpec& asset : s.job.assets) s.plans.push_back(plan_asset(s.job, asset, *date));
  // resources.phase_batch is per model group: each group may hold that many assets parked between
  // expert phases.
  const int64_t groups = world_size / s.layout.group_size();
  s.scheduler =
      std::make_unique<Scheduler>(WorkGraph(work_of_job(s.job)), s.job.resources.max_attempts,
                                  int64_t{s.job.resources.phase_batch} * groups);
  const ResumeSummary resume =
      reconcile_with_ledger(*s.ledger, s.job, s.plans, s.state_dir, options.force, *s.scheduler);
  if (resume.assets_kept > 0 || resume.segments_kept > 0) {
    MF_LOG(Info, "farm") << "resuming: " << resume.assets_kept << " assets already done, "
                         << resume.segments_kept << " finished segments kept";
  }
  for (const std::string& line : resume.redone) MF_LOG(Warn, "farm") << "--force: " << line;
  for (const std::string& line : resume.recomputed) {
    MF_LOG(Warn, "farm") << "recomputing " << line;
  }
  for (const std::string& line : resume.blocked_outputs) MF_LOG(Warn, "farm") << line;
  s.run_id = s.ledger->begin_run(world_size, s.layout.to_string());
  // Which Slurm job and restart this run was, for `sqlite3 ledger.sqlite 'SELECT * FROM job'`.
  if (!options.launch.empty()) {
    s.ledger->set_job_value("run." + std::to_string(s.run_id) + ".launch", options.launch);
  }
  return s;
}

// The model every rank loads: the preset and its files.
struct ModelChoice {
  rank::ModelPreset preset;
  rank::ModelFiles files;
};

json model_message(const Job& job) {
  const WeightPaths& w = job.model.weights;
  return {{"preset", job.model.preset},
          {"random", w.random},
          {"folder", w.release_folder},
          {"dit", w.dit},
          {"vae", w.vae},
          {"text_encoder", w.text_encoder},
          {"tokenizer", w.tokenizer},
          {"image_encoder", w.image_encoder}};
}

ModelChoice model_choice(const json& m) {
  ModelChoice choice;
  const std::string preset = m.at("preset").get<std::string>();
  if (m.at("random").get<bool>()) {
    const rank::DemoModel demo = rank::ensure_generated_model(preset);
    choice.preset = demo.preset;
    choice.files = demo.files;
    return choice;
  }
  choice.preset = rank::load_model_preset(preset);
  const std::string folder = m.at("folder").get<std::string>();
  if (!folder.empty()) choice.files = rank::ModelFiles::in_folder(folder, choice.preset);
  rank::ModelFiles given;
  given.dit = m.at("dit").get<std::string>();
  given.vae = m.at("vae").get<std::string>();
  given.text_encoder = m.at("text_encoder").get<std::string>();
  given.tokenizer = m.at("tokenizer").get<std::string>();
  given.image_encoder = m.at("image_encoder").get<std::string>();
  choice.files = choice.files.overridden_by(given);
  return choice;
}

// Collective over `world`: rank 0's text reaches every rank.
std::string broadcast_from_zero(const parallel::MpiComm& world, std::string text) {
  rank::broadcast_text(world, text, 0);
  return text;
}

// Collective over `world`: true when every rank passed `ok`.
bool all_ok(const parallel::MpiComm& world, bool ok) {
  int mine = ok ? 1 : 0;
  int all = 0;
  parallel::check_mpi(MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, world.get()),
                      "MPI_Allreduce (start-up)");
  return all == 1;
}

// The exit code of a job that cannot go on (docs/exit-codes.md): a full disk (the ledger, say) is
// fixed by freeing space and rerunning, not by reading a stack trace.
int abort_code(const std::exception& error) {
  if (dynamic_cast<const CommError*>(&error)) return kExitCommFailure;
  if (dynamic_cast<const DiskFullError*>(&error)) return kExitDiskFull;
  return kExitInternalError;
}

// The memory one rank has for batch members' activations, now that the model is loaded: what is
// left of resources.memory_gib when the manifest gives it, else the GPU's free memory, or on a
// CPU the host's available memory shared by the ranks on this node.
int64_t free_bytes_per_rank(const Job& job, const at::Device& device, int node_ranks) {
  const double budget = job.resources.memory_gib * 1024.0 * 1024.0 * 1024.0;
  if (device.is_cuda()) {
    int64_t free_bytes = 0, total_bytes = 0;
    parallel::current_gpu_memory(&free_bytes, &total_bytes);
    return budget > 0 ? static_cast<int64_t>(budget) - (total_bytes - free_bytes) : free_bytes;
  }
  if (budget > 0) return static_cast<int64_t>(budget) - rank::resident_bytes();
  return rank::host_available_bytes() / std::max(node_ranks, 1);
}

void print_outcome(const FarmOutcome& outcome, const std::string& state_dir,
                   const std::string& report_path) {
  std::cout << "motionfarm run: " << outcome.summary << "\n";
  for (const std::string& failure : outcome.failures) std::cout << "  failed " << failure << "\n";
  if (!report_path.empty()) std::cout << "report: " << report_path << "\n";
  std::cout << "state folder: " << state_dir << " (motionfarm status " << state_dir << ")\n"
            << std::flush;
}

}  // namespace

std::string default_state_dir(const std::string& output_root, const std::string& job_name) {
  const fs::path root = fs::path(output_root).lexically_normal();
  const fs::path parent =
      root.has_filename() ? root.parent_path() : root.parent_path().parent_path();
  return (parent / (job_name + ".motionfarm-state")).string();
}

int run_farm(const FarmRunOptions& options) {
  rank::install_stop_signal_handlers();
  const parallel::MpiComm world = parallel::MpiComm::world();
  const int world_rank = world.rank();
  const int world_size = world.size();
  core::Logger::instance().set_rank(world_rank, world_size);

  // Start-up on rank 0; its verdict reaches every rank before anything collective can hang.
  std::optional<Startup> startup;
  std::exception_ptr startup_error;
  json message;
  if (world_rank == 0) {
    try {
      startup = start_job(options, world_size);
      message = {{"ok", true},
                 {"model", model_message(startup->job)},
                 {"layout", startup->layout.to_string()},
                 {"state_dir", startup->state_dir}};
    } catch (...) {
      startup_error = std::current_exception();
      message = {{"ok", false}};
    }
  }
  message = json::parse(broadcast_from_zero(world, message.dump()));
  if (!message.at("ok").get<bool>()) {
    if (startup_error) std::rethrow_exception(startup_error);
    return kExitBadInput;
  }
  const std::string state_dir = message.at("state_dir").get<std::string>();
  fs::create_directories(fs::path(state_dir) / "logs");
  char log_name[64];
  std::snprintf(log_name, sizeof(log_name), "rank-%04d.jsonl", world_rank);
  core::Logger::instance().open_json_file((fs::path(state_dir) / "logs" / log_name).string());

  // Every rank loads the model; a rank that cannot makes every rank leave together.
  std::optional<rank::ModelBundle> bundle;
  // Each distinct prompt is encoded once per rank, not once per segment: every segment of an asset
  // and every asset sharing a prompt reuse the embedding (a few hundred KiB each at 512 tokens).
  model::PromptEmbeddingCache prompt_cache(kPromptCacheBytes);
  std::exception_ptr load_error;
  try {
    const ModelChoice choice = model_choice(message.at("model"));
    choice.files.check(choice.preset);
    rank::BundleOptions placement;
    if (options.gpu_device >= 0) placement.device = at::Device(at::kCUDA, options.gpu_device);
    placement.prompt_cache = &prompt_cache;
    // A group holds one expert at a time; the worker loads the one each task needs.
    placement.experts = rank::ExpertResidency::kOnDemand;
    bundle.emplace(rank::ModelBundle::load(choice.preset, choice.files, placement));
  } catch (...) {
    load_error = std::current_exception();
  }
  if (!all_ok(world, !load_error)) {
    if (startup)
      startup->ledger->end_run(startup->run_id, kExitBadInput, "the model failed to load");
    if (load_error && world_rank == 0) std::rethrow_exception(load_error);
    return kExitBadInput;
  }

  const parallel::ParallelLayout layout =
      parallel::ParallelLayout::parse(message.at("layout").get<std::string>());
  const parallel::Topology topology = parallel::Topology::create(world, layout);
  MF_CHECK(world_rank != 0 || (topology.is_group_leader() && topology.group_index() == 0), Error,
           "world rank 0 must lead group 0 (it hosts the coordinator)");
  MF_LOG(Info, "farm") << topology.describe();
  // Collective: the ranks on rank 0's node share its host memory (the CPU batch budget).
  const int node_ranks = world.split_shared_memory(0).size();
  if (world_rank == 0) {
    BatchPlanInputs inputs;
    inputs.facts = &startup->job.model.facts;
    inputs.free_bytes = free_bytes_per_rank(startup->job, bundle->device(), node_ranks);
    inputs.element_bytes = bundle->device().is_cuda() ? 2 : 4;
    inputs.sequence_parallel = layout.sequence_parallel();
    inputs.batch_max = startup->job.resources.batch_max;
    inputs.groups = topology.num_groups();
    inputs.saturation_tokens =
        bundle->device().is_cuda() ? kGpuSaturationTokens : kCpuSaturationTokens;
    const BatchPlan batches = kept_batches(*startup->ledger, startup->plans, inputs);
    startup->scheduler->set_batches(batches.batches);
    size_t batched = 0;
    for (const std::vector<size_t>& batch : batches.batches) batched += batch.size();
    if (batches.batches.empty()) {
      MF_LOG(Info, "farm") << "batching: none (no two assets share a batch key and fit one "
                              "forward; resources.batch_max "
                           << startup->job.resources.batch_max << ", "
                           << inputs.free_bytes / (1024 * 1024) << " MiB free per rank)";
    } else {
      MF_LOG(Info, "farm") << "batching: " << batched << " of " << startup->plans.size()
                           << " assets in " << batches.batches.size()
                           << (batches.batches.size() == 1 ? " batch" : " batches") << " of up to "
                           << batches.largest << " (resources.batch_max "
                           << startup->job.resources.batch_max << ", "
                           << inputs.free_bytes / (1024 * 1024) << " MiB free per rank)";
    }
  }
  // Presets with experts: the worker builds the denoiser over whichever expert it loads.
  std::unique_ptr<rank::GroupDenoiser> denoiser;
  if (!bundle->preset().has_experts()) {
    denoiser = std::make_unique<rank::GroupDenoiser>(bundle->dit(), topology);
  }
  parallel::MpiComm farm;
  if (topology.is_group_leader())
    farm = parallel::MpiComm::duplicate(topology.leaders_comm().get());

  FarmOutcome outcome;
  std::thread coordinator;
  std::unique_ptr<ReportRefresher> report;  // rank 0: report.html, refreshed while the job runs
  if (world_rank == 0) {
    report =
        std::make_unique<ReportRefresher>(state_dir, std::max(options.progress_interval_s, 1.0));
    CoordinatorOptions c;
    c.job = &startup->job;
    c.plans = &startup->plans;
    c.state_dir = state_dir;
    c.ledger = startup->ledger.get();
    c.scheduler = startup->scheduler.get();
    c.farm = &farm;
    c.num_groups = topology.num_groups();
    c.run_id = startup->run_id;
    c.progress_interval_s = options.progress_interval_s;
    c.progress_tty = isatty(fileno(stderr)) != 0;
    c.coordinator_log = (fs::path(state_dir) / "logs" / "coordinator.log").string();
    c.fail_first_attempt = fail_first_attempt_ids();
    coordinator = std::thread([c, &outcome]() {
      try {
        outcome = run_coordinator(c);
      } catch (const std::exception& error) {
        // The ledger or the messaging broke: no group can be told what to do any more.
        MF_LOG(Error, "coordinator") << "the coordinator failed: " << error.what();
        parallel::MpiRuntime::abort_job(abort_code(error));
      }
    });
  }
  try {
    rank::FarmWorkerOptions w;
    w.topology = &topology;
    w.farm = &farm;
    w.bundle = &*bundle;
    w.denoiser = denoiser.get();
    w.checkpoint_every = options.checkpoint_every;
    rank::run_farm_worker(w);
    const model::PromptEmbeddingCache::Stats prompts = prompt_cache.stats();
    MF_LOG(Info, "farm") << "prompt embeddings: " << prompts.misses << " encoded, " << prompts.hits
                         << " reused from the cache (" << prompts.evictions << " evicted)";
  } catch (const std::exception& error) {
    // Outside a task boundary: this rank cannot go on and its group would wait forever.
    MF_LOG(Error, "farm") << "rank " << world_rank << " failed: " << error.what();
    parallel::MpiRuntime::abort_job(abort_code(error));
  }
  if (coordinator.joinable()) coordinator.join();

  int exit_code = outcome.exit_code;
  parallel::check_mpi(MPI_Bcast(&exit_code, 1, MPI_INT, 0, world.get()), "MPI_Bcast (exit code)");
  if (world_rank == 0) print_outcome(outcome, state_dir, report->finish());
  return exit_code;
}

}  // namespace motionfarm::coordinator
