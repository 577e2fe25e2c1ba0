#include "rank/sampling_loop.h"

#include <string>
#include <utility>

#include "core/check.h"
#include "core/log.h"
#include "rank/finite_check.h"

namespace motionfarm::rank {

namespace {

// One member's sampler and where it stands.
struct MemberRun {
  std::unique_ptr<model::Sampler> sampler;
  at::Tensor latent;
  bool replace_first = false;
};

MemberRun start_member(const BatchMember& member, const SamplingOptions& options) {
  MemberRun run;
  run.sampler = model::make_sampler(options.sampler, options.schedule);
  run.replace_first =
      member.conditioning && member.conditioning->kind == ConditioningKind::kFirstFrameLatent;
  const at::Tensor& noise = member.noise;
  run.latent = noise;
  if (const SamplingCheckpoint* resume = member.resume) {
    // restore() checks the sampler, step count and shift; the latent must be this render's.
    model::SamplerState state = resume->sampler;  // stored on the CPU; the loop runs on the device
    for (at::Tensor& output : state.model_outputs) output = output.to(noise.device());
    if (state.last_sample.defined()) state.last_sample = state.last_sample.to(noise.device());
    run.sampler->restore(state);
    MF_CHECK(resume->latent.sizes() == noise.sizes(), CheckpointError,
             "the stored latent has shape " << resume->latent.sizes() << ", this segment needs "
                                            << noise.sizes());
    run.latent = resume->latent.to(noise.device(), noise.scalar_type());
  } else if (run.replace_first) {
    run.latent = replace_first_latent_frame(run.latent, member.conditioning->first_frame_latent);
  }
  return run;
}

}  // namespace

std::vector<SamplingCheckpoint> run_batch_sampling(const model::VelocityFn& velocity,
                                                   const std::vector<BatchMember>& members,
                                                   const SamplingOptions& options,
                                                   const BatchStepObserver& observer) {
  MF_CHECK(!members.empty(), Error, "a batch needs at least one member");
  std::vector<MemberRun> runs;
  for (const BatchMember& member : members) runs.push_back(start_member(member, options));
  const int64_t first_step = runs.front().sampler->step_index();
  for (size_t m = 1; m < runs.size(); ++m) {
    MF_CHECK_EQ(runs[m].sampler->step_index(), first_step, CheckpointError,
                "the members of a batch must resume at the same step: "
                    << members[m].label << " resumes at step " << runs[m].sampler->step_index() + 1
                    << ", " << members.front().label << " at step " << first_step + 1);
  }
  const model::Sampler& schedule = *runs.front().sampler;
  const int64_t steps = schedule.num_steps();
  if (first_step > 0) {
    MF_LOG(Info, "pipeline") << "resuming at step " << first_step + 1 << " of " << steps;
  }
  const int64_t end_step = options.stop_before_step < 0 ? steps : options.stop_before_step;
  MF_CHECK(end_step >= first_step && end_step <= steps, ConfigError,
           "cannot stop before step " << end_step << ": the run starts at step " << first_step
                                      << " of " << steps);
  const auto checkpoints = [&runs] {
    std::vector<SamplingCheckpoint> all;
    for (const MemberRun& run : runs) all.push_back({run.sampler->state(), run.latent});
    return all;
  };
  for (int64_t step = first_step; step < end_step; ++step) {
    const double timestep = schedule.timesteps()[static_cast<size_t>(step)];
    // One member: its latent as it is, so a batch of one is bitwise the unbatched loop.
    at::Tensor stacked = runs.front().latent;
    if (runs.size() > 1) {
      std::vector<at::Tensor> latents;
      for (const MemberRun& run : runs) latents.push_back(run.latent);
      stacked = at::cat(latents, 0);
    }
    const at::Tensor v = velocity(stacked, timestep);
    const std::string where = "sampling step " + std::to_string(step + 1) + " of " +
                              std::to_string(steps) + " (timestep " +
                              std::to_string(static_cast<int64_t>(timestep)) + ")";
    for (size_t m = 0; m < runs.size(); ++m) {
      MemberRun& run = runs[m];
      const at::Tensor mine = runs.size() == 1 ? v : v.narrow(0, static_cast<int64_t>(m), 1);
      // The sampler sees the re-applied latent at the next step, as the reference's scheduler
      // does.
      run.latent = run.sampler->step(step, mine, run.latent);
      if (run.replace_first) {
        run.latent =
            replace_first_latent_frame(run.latent, members[m].conditioning->first_frame_latent);
      }
      try {
        check_finite(run.latent,
                     members[m].label.empty() ? where : members[m].label + ": " + where);
      } catch (const NonFiniteError&) {
        throw BatchMemberError(m, std::current_exception());
      }
    }
    MF_LOG(Debug, "pipeline") << "step " << step + 1 << "/" << steps << " t=" << timestep;
    if (observer) observer(step, checkpoints());
  }
  return checkpoints();
}

SamplingCheckpoint run_sampling(const model::VelocityFn& velocity, const at::Tensor& noise,
                                const SamplingOptions& options,
                                const ImageConditioning& conditioning, const StepObserver& observer,
                                const SamplingCheckpoint* resume) {
  BatchMember member;
  member.noise = noise;
  member.conditioning = &conditioning;
  member.resume = resume;
  BatchStepObserver each;
  if (observer) {
    each = [&observer](int64_t step, const std::vector<SamplingCheckpoint>& after) {
      observer(step, after.front());
    };
  }
  try {
    return run_batch_sampling(velocity, {member}, options, each).front();
  } catch (const BatchMemberError& failure) {
    std::rethrow_exception(failure.error());
  }
}

at::Tensor sample_latents(const model::VelocityFn& velocity, const at::Tensor& noise,
                          const SamplingOptions& options, const ImageConditioning& conditioning,
                          const StepObserver& observer, const SamplingCheckpoint* resume) {
  return run_sampling(velocity, noise, options, conditioning, observer, resume).latent;
}

}  // namespace motionfarm::rank
