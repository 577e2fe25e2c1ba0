# shellcheck shell=bash
# A real Slurm cluster on this machine, for the `slurm` tests (sourced, not run). The recipe and
# why each setting is there: slurm/testing.md.
#
#   source tests/slurm/local_cluster.sh
#   cluster_start 1          # or 2: two slurmd in network namespaces (nodes mfn1, mfn2)
#   cl srun -n 4 hostname    # every Slurm client goes through `cl`
#   cluster_stop             # also run by the EXIT trap cluster_start installs
#
# Needs root (daemons as root, network namespaces) and Debian's slurmctld, slurmd, slurm-client,
# munge and libpmix-dev. One such cluster per machine at a time: the ports and namespace names
# are fixed.

CLUSTER_DIR=
CLUSTER_NODES=0

log() { echo "[$(date +%H:%M:%S)] $*"; }

# The client prefix: clients reach slurmctld in node 1's network namespace (two nodes).
cl() {
  if [ "$CLUSTER_NODES" = 2 ]; then
    nsenter --net=/run/netns/mfsl-n1 "$@"
  else
    "$@"
  fi
}

# Prints why this machine cannot run the cluster (and returns 1), or nothing.
cluster_missing() {
  if [ "$(id -u)" != 0 ]; then
    echo "needs root: the Slurm daemons run as root and two nodes need network namespaces"
    return 1
  fi
  local missing=()
  for program in slurmctld slurmd munged mungekey srun sbatch scontrol squeue sinfo scancel; do
    command -v "$program" >/dev/null || missing+=("$program")
  done
  if ((${#missing[@]})); then
    echo "not installed: ${missing[*]} (scripts/setup installs slurmctld slurmd slurm-client munge libpmix-dev)"
    return 1
  fi
}

_cluster_conf() {
  local host=$1 controller_addr=$2
  cat <<CONF
ClusterName=mftest
SlurmctldHost=$host($controller_addr)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$CLUSTER_DIR/munge/munge.sock,cred_expire=5
StateSaveLocation=$CLUSTER_DIR/state
SlurmdSpoolDir=$CLUSTER_DIR/spool/%n
SlurmctldPidFile=$CLUSTER_DIR/run/slurmctld.pid
SlurmdPidFile=$CLUSTER_DIR/run/slurmd-%n.pid
SlurmctldLogFile=$CLUSTER_DIR/log/slurmctld.log
SlurmdLogFile=$CLUSTER_DIR/log/slurmd-%n.log
TmpFS=$CLUSTER_DIR/tmp/%n
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=pmix
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=1
KillWait=5
ReturnToService=2
MailProg=/bin/true
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
CONF
}

# cluster_start NODES: starts munged, slurmctld and NODES slurmd (1 or 2); waits until every
# node is idle. Installs an EXIT trap that stops everything.
cluster_start() {
  CLUSTER_NODES=$1
  CLUSTER_DIR=$(mktemp -d /tmp/mf-slurm.XXXXXX)
  trap cluster_stop EXIT
  local host
  host=$(hostname -s)
  local nodes=("$host")
  [ "$CLUSTER_NODES" = 2 ] && nodes=(mfn1 mfn2)
  mkdir -p "$CLUSTER_DIR"/{state,log,run,munge}
  for node in "${nodes[@]}"; do mkdir -p "$CLUSTER_DIR/spool/$node" "$CLUSTER_DIR/tmp/$node"; done
  chmod 755 "$CLUSTER_DIR" "$CLUSTER_DIR/munge"  # munged refuses a socket folder others cannot enter

  if [ "$CLUSTER_NODES" = 2 ]; then
    # Each slurmd gets its own network namespace; the unreachable route keeps a client started
    # outside them from sending packets out of the machine.
    ip netns add mfsl-n1
    ip netns add mfsl-n2
    ip -n mfsl-n1 link add mfsl-v1 type veth peer name mfsl-v2 netns mfsl-n2
    ip -n mfsl-n1 addr add 10.77.0.1/24 dev mfsl-v1
    ip -n mfsl-n2 addr add 10.77.0.2/24 dev mfsl-v2
    for n in 1 2; do
      ip -n mfsl-n$n link set lo up
      ip -n mfsl-n$n link set mfsl-v$n up
    done
    ip route add unreachable 10.77.0.0/24
  fi

  mungekey -c -k "$CLUSTER_DIR/munge/munge.key"
  munged --socket="$CLUSTER_DIR/munge/munge.sock" --key-file="$CLUSTER_DIR/munge/munge.key" \
    --pid-file="$CLUSTER_DIR/munge/munged.pid" --log-file="$CLUSTER_DIR/munge/munged.log" \
    --seed-file="$CLUSTER_DIR/munge/munged.seed"

  # A test started inside a real allocation must not send its steps to that job.
  local variable
  for variable in $(compgen -e | grep '^SLURM_'); do unset "$variable"; done
  export SLURM_CONF=$CLUSTER_DIR/slurm.conf  # every client and daemon reads this one
  if [ "$CLUSTER_NODES" = 2 ]; then
    {
      _cluster_conf "$host" 10.77.0.1
      echo "NodeName=mfn1 NodeAddr=10.77.0.1 CPUs=4 Sockets=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=8000 State=UNKNOWN"
      echo "NodeName=mfn2 NodeAddr=10.77.0.2 CPUs=4 Sockets=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=8000 State=UNKNOWN"
      echo "PartitionName=debug Nodes=mfn1,mfn2 Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4"
    } >"$SLURM_CONF"
    cl slurmctld -f "$SLURM_CONF" -c -i
    for n in 1 2; do
      nsenter --net=/run/netns/mfsl-n$n unshare --uts sh -c \
        "hostname mfn$n && exec slurmd -f '$SLURM_CONF' -c"
    done
  else
    {
      _cluster_conf "$host" 127.0.0.1
      echo "NodeName=$host NodeAddr=127.0.0.1 CPUs=8 Sockets=1 CoresPerSocket=8 ThreadsPerCore=1 RealMemory=16000 State=UNKNOWN"
      echo "PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4"
    } >"$SLURM_CONF"
    slurmctld -f "$SLURM_CONF" -c -i  # -c -i: empty state; the daemons fork and return
    slurmd -f "$SLURM_CONF" -c
  fi
  local deadline=$((SECONDS + 30))
  until [ "$(cl sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l)" = "$CLUSTER_NODES" ]; do
    if ((SECONDS > deadline)); then
      log "the nodes did not become idle in 30 s:"
      cl sinfo -N -l || true
      tail -n 20 "$CLUSTER_DIR"/log/*.log || true
      return 1
    fi
    sleep 0.2
  done
  log "Slurm up: $CLUSTER_NODES node(s), $(cl sinfo -h -o '%P %D %t %N')"
}

# Stops jobs, then every daemon this cluster started (by pid, never by name), then the namespaces.
cluster_stop() {
  local status=$?
  [ -n "$CLUSTER_DIR" ] || return $status
  if [ -e "$CLUSTER_DIR/run/slurmctld.pid" ]; then
    local jobs
    jobs=$(cl squeue -h -o %i 2>/dev/null || true)
    # shellcheck disable=SC2086  # one word per job id
    [ -z "$jobs" ] || cl scancel $jobs 2>/dev/null || true
    # slurmstepd and the tasks outlive slurmd: wait for them (at most KillWait + 1 s).
    local deadline=$((SECONDS + 15))
    while [ -n "$(cl squeue -h -t running,completing -o %i 2>/dev/null || true)" ] &&
      ((SECONDS < deadline)); do
      sleep 0.5
    done
  fi
  local pids=()
  for file in "$CLUSTER_DIR"/run/slurmd-*.pid "$CLUSTER_DIR/run/slurmctld.pid" \
    "$CLUSTER_DIR/munge/munged.pid"; do
    [ -s "$file" ] && pids+=("$(cat "$file")")
  done
  if ((${#pids[@]})); then kill "${pids[@]}" 2>/dev/null || true; fi
  for pid in "${pids[@]}"; do
    local deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  done
  # The daemons and slurmstepd work in the log folder: anything still there is this cluster's.
  local left=()
  for cwd in /proc/[0-9]*/cwd; do
    [[ "$(readlink "$cwd" 2>/dev/null)" == "$CLUSTER_DIR"* ]] && left+=("$(basename "$(dirname "$cwd")")")
  done
  if ((${#left[@]})); then
    log "still running after the stop, killed: ${left[*]}"
    kill -9 "${left[@]}" 2>/dev/null || true
  fi
  if [ "$CLUSTER_NODES" = 2 ]; then
    ip netns del mfsl-n1 2>/dev/null || true
    ip netns del mfsl-n2 2>/dev/null || true
    ip route del unreachable 10.77.0.0/24 2>/dev/null || true
  fi
  if [ "${MOTIONFARM_KEEP_SLURM_DIR:-0}" = 1 ]; then
    log "kept $CLUSTER_DIR (MOTIONFARM_KEEP_SLURM_DIR=1)"
  else
    rm -rf "$CLUSTER_DIR"
  fi
  CLUSTER_DIR=
  return $status
}
