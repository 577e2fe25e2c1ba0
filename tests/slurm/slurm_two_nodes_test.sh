#!/usr/bin/env bash
# Slurm support (#9) across two nodes: two slurmd in their own network and UTS namespaces (nodes
# mfn1 and mfn2, slurm/testing.md). `motionfarm submit --nodes 2` + sbatch runs one job whose
# ranks span both nodes: the start-up lines name both hosts, groups on both nodes render assets,
# and a job that finishes is not requeued. Exits 77 (ctest: skipped) when not root or when Slurm
# is not installed.
#
#   tests/slurm/slurm_two_nodes_test.sh MOTIONFARM_BINARY DEMO_MODEL_CACHE
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
if ! command -v ip >/dev/null || ! command -v nsenter >/dev/null || ! command -v unshare >/dev/null; then
  echo "SKIP: needs ip (iproute2), nsenter and unshare (util-linux)"
  exit "$SKIP_CODE"
fi

cluster_start 2
work=$CLUSTER_DIR/jobs
batch_job=$work/two-nodes
assets=(a:5:girl.png b:5:snake.png c:5:snake.png d:5:girl.png e:9:girl.png f:9:snake.png)
write_job "$batch_job" two-nodes 3 "${assets[@]}"
out=$(cl "$MF" submit "$batch_job/job.yaml" --nodes 2 --gpus-per-node 0 --tasks-per-node 2 \
  --cpus-per-task 1 --time 10 --state-dir "$batch_job/state" 2>&1) || fail "motionfarm submit failed: $out"
printf '%s\n' "$out"
job=$(sed -n 's/^submitted batch job \([0-9][0-9]*\)$/\1/p' <<<"$out")
[ -n "$job" ] || fail "motionfarm submit printed no job id"

state=$(wait_for_job_end "$job" 180)
out_file=$batch_job/state/slurm/slurm-$job.out
err_file=$batch_job/state/slurm/slurm-$job.err
if [ "$state" != COMPLETED ]; then
  tail -n 40 "$out_file" "$err_file" || true
  fail "job $job ended $state, not COMPLETED"
fi
errors=$(cat "$err_file")
printf '%s\n' "$errors" | grep -E 'launch:' || true
expect_match "$errors" "launch: slurm job $job \(restart 0\) on mfn\[1-2\], 2 nodes, 4 tasks; 4 MPI ranks" \
  "the launch line"
expect_match "$errors" "launch: node mfn1: 2 ranks \(0-1\), GPUs none" "node mfn1's line"
expect_match "$errors" "launch: node mfn2: 2 ranks \(2-3\), GPUs none" "node mfn2's line"
# Groups are cut from ranks in node order: groups 0-1 are mfn1's ranks, 2-3 mfn2's.
expect_match "$errors" "\[rank 2/4\] farm: group 2/4 " "rank 2's group"
on_first=$(sql "$batch_job/state" "SELECT COUNT(*) FROM attempts WHERE outcome = 'done' AND group_index < 2")
on_second=$(sql "$batch_job/state" "SELECT COUNT(*) FROM attempts WHERE outcome = 'done' AND group_index >= 2")
((on_first >= 1 && on_second >= 1)) ||
  fail "tasks done on mfn1: $on_first, on mfn2: $on_second (both nodes should render)"
expect_eq "$(sql "$batch_job/state" "SELECT COUNT(*) FROM assets WHERE state = 'done'")" 6 "assets done"
expect_eq "$(sql "$batch_job/state" "SELECT COUNT(*) FROM attempts WHERE outcome = 'done'")" 14 \
  "finished tasks (8 segments + 6 assemblies, each once)"
expect_clips "$batch_job" "${assets[@]}"
# A job that finishes is not requeued.
expect_eq "$(job_field "$job" Restarts)" 0 "Slurm's restart count"
expect_eq "$(sql "$batch_job/state" "SELECT group_concat(exit_code) FROM runs")" 0 "the runs' exit codes"
grep -q "requeueing" "$out_file" && fail "job $job requeued itself after finishing"
expect_match "$(cat "$out_file")" "finished with exit code 0" "the batch script's last line"
log "job $job: $on_first tasks on mfn1, $on_second on mfn2"
log "PASS"
