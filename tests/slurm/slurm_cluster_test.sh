#!/usr/bin/env bash
# Acceptance test of Slurm support (#9) on a real one-node Slurm started here (slurm/testing.md):
#  1. `srun --mpi=pmix -n 4 motionfarm run` renders a job over 4 ranks;
#  2. a submitted job that scancel stops checkpoints (exit 75) and is not requeued;
#  3. `motionfarm submit` + sbatch of a job longer than its time limit allows: Slurm's own
#     --signal notice arrives, the ranks checkpoint and exit 75, the script requeues the job and
#     it finishes on its second run, every asset rendered exactly once.
# Exits 77 (ctest: skipped) when not root or when Slurm is not installed.
#
#   tests/slurm/slurm_cluster_test.sh MOTIONFARM_BINARY DEMO_MODEL_CACHE
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/slurm/local_cluster.sh
source "$here/local_cluster.sh"
# shellcheck source=tests/slurm/slurm_test_support.sh
source "$here/slurm_test_support.sh"

MF=$(realpath "$1")
export MOTIONFARM_DEMO_CACHE=$2
export SHARED_DIR=${MOTIONFARM_SHARED_DIR:-$(realpath "$here/../../../shared")}
if ! why=$(cluster_missing); then
  echo "SKIP: the slurm tests cannot run here: $why"
  exit "$SKIP_CODE"
fi

cluster_start 1
host=$(hostname -s)
work=$CLUSTER_DIR/jobs

# --- 1. srun --mpi=pmix -n 4 motionfarm run --------------------------------------------------
srun_job=$work/srun
assets=(a:5:girl.png b:9:snake.png c:5:snake.png d:9:girl.png)
write_job "$srun_job" srun-test 3 "${assets[@]}"
log "srun --mpi=pmix -n 4 motionfarm run"
if ! out=$(cl timeout 240 srun --mpi=pmix -n 4 "$MF" run "$srun_job/job.yaml" \
  --state-dir "$srun_job/state" 2>&1); then
  printf '%s\n' "$out" | tail -n 60
  fail "srun motionfarm run failed"
fi
printf '%s\n' "$out" | grep -E 'launch:|motionfarm run:' || true
expect_match "$out" "motionfarm run: 4 of 4 assets done, 0 failed" "the summary"
expect_match "$out" "launch: slurm job [0-9]+ \(restart 0\) on $host, 1 node, 4 tasks; 4 MPI ranks" \
  "the launch line"
expect_match "$out" "launch: node $host: 4 ranks \(0-3\), GPUs none \(" "the node line"
expect_eq "$(grep -c 'launch: node ' <<<"$out")" 1 "node lines (one per node)"
expect_eq "$(sql "$srun_job/state" "SELECT COUNT(*) FROM assets WHERE state = 'done'")" 4 "assets done"
expect_eq "$(sql "$srun_job/state" "SELECT COUNT(*) FROM attempts WHERE outcome = 'done'")" 10 \
  "finished tasks (6 segments + 4 assemblies, each once)"
groups=$(sql "$srun_job/state" "SELECT COUNT(DISTINCT group_index) FROM attempts")
((groups >= 2)) || fail "only $groups model group(s) rendered: the 4 ranks did not share the work"
expect_match "$(sql "$srun_job/state" "SELECT value FROM job WHERE key = 'run.1.launch'")" \
  "^slurm job [0-9]+ \(restart 0\)" "the ledger's launch record"
expect_clips "$srun_job" "${assets[@]}"
log "srun job: 4 assets on $groups groups, clips checked"

# --- 2. scancel: the ranks checkpoint, the job is not requeued --------------------------------
cancel_job=$work/cancel
assets=(m:13:girl.png n:13:snake.png o:13:girl.png)
write_job "$cancel_job" cancel-test 100 "${assets[@]}"
out=$(cl "$MF" submit "$cancel_job/job.yaml" --nodes 1 --gpus-per-node 0 --tasks-per-node 2 \
  --cpus-per-task 1 --time 10 --state-dir "$cancel_job/state" 2>&1) || fail "motionfarm submit failed: $out"
job=$(sed -n 's/^submitted batch job \([0-9][0-9]*\)$/\1/p' <<<"$out")
[ -n "$job" ] || fail "motionfarm submit printed no job id: $out"
wait_for_segments "$cancel_job/state" 1 "$job"
log "job $job: first segment done; scancel"
cl scancel "$job"
state=$(wait_for_job_end "$job" 60)
expect_eq "$state" CANCELLED "job $job's state after scancel"
sleep $((5 + 3))  # cred_expire + a scheduler pass: a requeued job would be pending or running now
expect_eq "$(job_field "$job" JobState)" CANCELLED "job $job's state a while after scancel"
expect_eq "$(job_field "$job" Restarts)" 0 "Slurm's restart count after scancel"
expect_eq "$(sql "$cancel_job/state" "SELECT group_concat(exit_code) FROM runs")" 75 \
  "the run's exit code (checkpointed on SIGTERM)"
grep -q "requeueing" "$cancel_job/state/slurm/slurm-$job.out" && fail "job $job requeued itself after scancel"
log "job $job: cancelled, checkpointed, not requeued"

# --- 3. the time limit: notice, checkpoint, requeue, resume -----------------------------------
batch_job=$work/batch
# slurmctld sends the --signal notice from a 30-second timer, between `grace` and `grace` + 30 s
# before the limit: with --time 1 and --signal-grace 20, 10 to 40 s into each run. The job is made
# longer than the whole 1-minute limit on this machine (about 75 s of rendering, from the seconds
# per step of the cancelled job's segments), so the first run always gets the notice. Two quick
# assets go first (priority), so the first run has finished work to keep even when the notice
# comes early.
step_seconds=$(sql "$cancel_job/state" \
  "SELECT SUM(seconds) / (COUNT(*) * 100.0) FROM attempts WHERE outcome = 'done' AND task LIKE '%/segment-%'")
steps=$(awk -v s="$step_seconds" 'BEGIN { n = int(75 * 2 / (18 * s)) + 1; print (n < 40 ? 40 : (n > 1000 ? 1000 : n)) }')
log "calibration: $step_seconds s per step and segment; $steps steps"
assets=(p:13:girl.png:5:10 q:13:snake.png:5:10 r:13:snake.png s:13:girl.png t:13:girl.png
  u:13:snake.png v:13:snake.png w:13:girl.png)
write_job "$batch_job" requeue-test "$steps" "${assets[@]}"
out=$(cl "$MF" submit "$batch_job/job.yaml" --nodes 1 --gpus-per-node 0 --tasks-per-node 2 \
  --cpus-per-task 1 --time 1 --signal-grace 20 --state-dir "$batch_job/state" 2>&1) ||
  fail "motionfarm submit failed: $out"
printf '%s\n' "$out"
job=$(sed -n 's/^submitted batch job \([0-9][0-9]*\)$/\1/p' <<<"$out")
[ -n "$job" ] || fail "motionfarm submit printed no job id"
script=$batch_job/state/slurm/job.sbatch
for line in "#SBATCH --signal=B:USR1@20" "#SBATCH --time=1" "#SBATCH --requeue" \
  "#SBATCH --open-mode=append" "#SBATCH --ntasks-per-node=2" "#SBATCH --job-name=requeue-test"; do
  grep -qxF -- "$line" "$script" || fail "$script lacks '$line'"
done
grep -q -- "srun --mpi=pmix " "$script" || fail "$script does not use srun --mpi=pmix"

deadline=$((SECONDS + 90))
until [ "$(job_field "$job" Restarts)" = 1 ]; do
  state=$(job_field "$job" JobState)
  case "$state" in COMPLETED | FAILED | CANCELLED | TIMEOUT)
    tail -n 30 "$batch_job/state/slurm/slurm-$job.out" "$batch_job/state/slurm/slurm-$job.err" || true
    fail "job $job ended $state without being requeued" ;;
  esac
  ((SECONDS < deadline)) || fail "job $job was not requeued in 90 s (state $state)"
  sleep 0.3
done
# The second run must not be cut short too (its notice would come 10 to 40 s in): give it the
# time the rest needs, as a wrangler would, so this test sees exactly two runs.
cl scontrol update JobId="$job" TimeLimit=10
log "job $job: requeued after the time-limit notice; time limit raised to 10 minutes"

state=$(wait_for_job_end "$job" 150)
out_file=$batch_job/state/slurm/slurm-$job.out
err_file=$batch_job/state/slurm/slurm-$job.err
if [ "$state" != COMPLETED ]; then
  tail -n 40 "$out_file" "$err_file" || true
  fail "job $job ended $state, not COMPLETED"
fi
expect_eq "$(job_field "$job" Restarts)" 1 "Slurm's restart count"
expect_eq "$(sql "$batch_job/state" "SELECT group_concat(exit_code) FROM (SELECT exit_code FROM runs ORDER BY run_id)")" \
  "75,0" "the runs' exit codes (pre-empted, then finished)"
expect_match "$(sql "$batch_job/state" "SELECT value FROM job WHERE key = 'run.1.launch'")" \
  "^slurm job $job \(restart 0\)" "run 1's launch record"
expect_match "$(sql "$batch_job/state" "SELECT value FROM job WHERE key = 'run.2.launch'")" \
  "^slurm job $job \(restart 1\)" "run 2's launch record"
expect_eq "$(sql "$batch_job/state" "SELECT COUNT(*) FROM assets WHERE state = 'done'")" 8 "assets done"
expect_eq "$(sql "$batch_job/state" "SELECT COUNT(*) FROM attempts WHERE outcome = 'done'")" 32 \
  "finished tasks (24 segments + 8 assemblies)"
expect_eq "$(sql "$batch_job/state" "SELECT COUNT(*) FROM (SELECT task FROM attempts WHERE outcome = 'done' GROUP BY task HAVING COUNT(*) > 1)")" \
  0 "tasks finished more than once"
expect_eq "$(sql "$batch_job/state" "SELECT COUNT(*) FROM outputs WHERE state = 'written'")" 8 \
  "deliverables written"
first=$(sql "$batch_job/state" "SELECT COUNT(*) FROM attempts WHERE outcome = 'done' AND run_id = 1")
second=$(sql "$batch_job/state" "SELECT COUNT(*) FROM attempts WHERE outcome = 'done' AND run_id = 2")
((first >= 1 && second >= 1)) || fail "tasks done per run: $first, $second (both runs should render)"
expect_clips "$batch_job" "${assets[@]}"
output=$(cat "$out_file")
expect_eq "$(grep -c "notice (SIGUSR1)" <<<"$output")" 1 "notices in $out_file"
expect_eq "$(grep -c "requeueing job $job" <<<"$output")" 1 "requeues in $out_file"
expect_match "$output" "motionfarm: job $job restart 1 on $host" "the second run's banner"
expect_match "$output" "finished with exit code 0" "the final run's exit"
expect_match "$(cat "$err_file")" "launch: slurm job $job \(restart 1\)" "run 2's launch line"
status=$("$MF" status "$batch_job/state" --json)
expect_match "$status" '"done": 8' "motionfarm status"
log "job $job: $first tasks before the notice, requeued, $second more on restart 1"
log "PASS"
