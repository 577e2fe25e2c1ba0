# shellcheck shell=bash
# Helpers for the slurm tests (sourced): tiny demo-model jobs, ledger queries and checks.

export SKIP_CODE=77  # ctest SKIP_RETURN_CODE

fail() {
  log "FAIL: $*"
  exit 1
}

# expect_match TEXT REGEX WHAT: TEXT has a line matching REGEX (extended).
expect_match() {
  grep -Eq -- "$2" <<<"$1" || { printf '%s\n' "$1" | tail -n 40; fail "$3: no line matches /$2/"; }
}

expect_eq() {  # ACTUAL EXPECTED WHAT
  [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# sql STATE QUERY: the query's answer from the job's ledger.
sql() { sqlite3 "$1/ledger.sqlite" "$2"; }

# write_job FOLDER NAME STEPS ID:FRAMES:IMAGE[:STEPS:PRIORITY]...: a demo-i2v job of 64x64 clips
# in 5-frame segments (frames 5, 9, 13: 1 to 3 segments), with copies of the shared photos.
write_job() {
  local folder=$1 name=$2 steps=$3
  shift 3
  mkdir -p "$folder"
  cp "$SHARED_DIR/assets/girl.png" "$SHARED_DIR/assets/snake.png" "$folder/"
  {
    echo "job: $name"
    echo "seed: 11"
    echo "output: {root: out}"
    echo "model: {preset: demo-i2v, weights: random}"
    echo "sampler: {steps: $steps, shift: 3.0, guidance: 4.0}"
    printf 'defaults:\n  fps: 8\n  resolution: 64x64\n  extension: {segment_frames: 5}\nassets:\n'
    local spec id frames image asset_steps priority
    for spec in "$@"; do
      IFS=: read -r id frames image asset_steps priority <<<"$spec"
      echo "  - {id: $id, image: $image, prompt: \"a slurm test clip\", frames: $frames${asset_steps:+, steps: $asset_steps}${priority:+, priority: $priority}}"
    done
  } >"$folder/job.yaml"
}

# frames_of CLIP: the number of video frames ffprobe decodes.
frames_of() {
  ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
    -of default=nw=1:nk=1 "$1"
}

# expect_clips FOLDER ID:FRAMES...: exactly one mp4 per asset, with that many frames.
expect_clips() {
  local folder=$1 spec id frames clips
  shift
  for spec in "$@"; do
    IFS=: read -r id frames _ <<<"$spec"
    clips=("$folder/out/$id"/*.mp4)
    expect_eq "${#clips[@]}" 1 "clips of asset $id"
    [ -s "${clips[0]}" ] || fail "asset $id: no clip in $folder/out/$id"
    expect_eq "$(frames_of "${clips[0]}")" "$frames" "frames of ${clips[0]}"
  done
}

# job_field JOB FIELD: a field of `scontrol show job` (JobState, Restarts, ExitCode...).
job_field() {
  cl scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# wait_for_job_end JOB SECONDS: until the job is COMPLETED, FAILED, CANCELLED, TIMEOUT...
wait_for_job_end() {
  local job=$1 deadline=$((SECONDS + $2)) state
  while :; do
    state=$(job_field "$job" JobState)
    case "$state" in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
        echo "$state"
        return 0
        ;;
    esac
    if ((SECONDS > deadline)); then
      echo "still $state after $2 s"
      return 0
    fi
    sleep 0.5
  done
}

# wait_for_segments STATE N JOB: until the job's ledger records N finished segments.
wait_for_segments() {
  local state=$1 count=$2 job=$3 deadline=$((SECONDS + 120)) done_count
  while :; do
    done_count=0
    [ -e "$state/ledger.sqlite" ] &&
      done_count=$(sql "$state" "SELECT COUNT(*) FROM tasks WHERE kind = 'segment'" 2>/dev/null || echo 0)
    ((done_count >= count)) && return 0
    ((SECONDS < deadline)) || fail "job $job rendered $done_count segments in 120 s (state $(job_field "$job" JobState))"
    sleep 0.3
  done
}

# The environment every rank gets (srun and sbatch pass the caller's environment on).
export OMP_NUM_THREADS=1 MOTIONFARM_TORCH_THREADS=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none  # containers forbid cross-memory attach
