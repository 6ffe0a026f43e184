#!/usr/bin/env bash
# Runs a command next to a throwaway one-node Slurm cluster (munged, slurmctld, slurmd) whose
# configuration, state, sockets and logs live in one temporary folder; everything is stopped and
# removed when the command ends, whatever its exit status. The command sees
# SLURM_CONF (so sbatch, squeue, scontrol and scancel reach this cluster), HOLDOUT_TEST_SLURM=1,
# HOLDOUT_TEST_SLURM_PARTITION, HOLDOUT_TEST_SLURM_SHARED (the "shared" folder the jobs and the
# worker both see; on one node it is just a folder) and HOLDOUT_TEST_SLURM_NODE_ENTRY: the node
# entry bundled into one file with esbuild, which is what a compute node has installed (dist/ in
# production); Node loads it in well under a second where tsx compiling the sources takes several.
# Needs root (the jobs run the sandbox).
#
#   scripts/with-slurm.sh node --import tsx --test src/executors/slurm/slurm-executor.test.ts
#   scripts/with-slurm.sh npm run bench:executors
#   scripts/with-slurm.sh --if-installed <command>   (just runs the command where Slurm is not installed)
set -euo pipefail
if [ "${1:-}" = --if-installed ]; then
  shift
  command -v slurmctld >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] || exec "$@"
fi
[ $# -gt 0 ] || { echo "usage: $0 [--if-installed] <command> [args...]" >&2; exit 2; }
for tool in munged slurmctld slurmd sbatch; do
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "with-slurm: $tool is not installed (apt-get install slurmctld slurmd slurm-client munge, or npm run setup)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "with-slurm: needs root (slurmd, and the sandbox inside each job)" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/holdout-slurm.XXXXXX")
chmod 755 "$dir"
mkdir -p "$dir/state" "$dir/spool" "$dir/shared" "$dir/munge"
stop() {
  # Jobs first (their sandboxes end with them), then the daemons, newest first: by their pid files,
  # which a test that restarted a daemon has updated.
  SLURM_CONF="$dir/slurm.conf" scancel --full --quiet --partition=holdout 2>/dev/null || true
  local pids=()
  for name in slurmd slurmctld munge/munged; do
    [ -s "$dir/$name.pid" ] && pids+=("$(cat "$dir/$name.pid")")
  done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}
trap stop EXIT

# Two free loopback ports for slurmctld and slurmd.
read -r ctld_port node_port < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
node=$(hostname -s)
cpus=$(nproc)
memory_mb=$(($(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1024 / 2))

root=$(cd "$(dirname "$0")/.." && pwd)
"$root/node_modules/.bin/esbuild" "$root/src/executors/slurm/node-entry.ts" --bundle --platform=node --format=esm \
  --target=node20 --log-level=warning --outfile="$dir/node-entry.mjs" \
  "--banner:js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"

dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.sock" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/seed"
for _ in $(seq 1 50); do [ -s "$dir/munge/munged.pid" ] && break; sleep 0.1; done

cat >"$dir/slurm.conf" <<CONF
ClusterName=holdout-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$node_port
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
# Batch jobs start at the next scheduler pass (each second) instead of up to 3 s later.
SchedulerParameters=${HOLDOUT_TEST_SLURM_SCHED:-batch_sched_delay=0,sched_min_interval=0}
ReturnToService=2
MinJobAge=600
KillWait=5
SlurmdTimeout=10
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=holdout Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
cat >"$dir/cgroup.conf" <<CONF
CgroupPlugin=autodetect
ConstrainCores=yes
ConstrainRAMSpace=yes
CONF
export SLURM_CONF="$dir/slurm.conf"

slurmctld -i -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 50); do [ -s "$dir/slurmctld.pid" ] && [ -s "$dir/slurmd.pid" ] && break; sleep 0.1; done
up=""
for _ in $(seq 1 100); do
  state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
  case "$state" in idle*) up=1; break ;; esac
  sleep 0.1
done
if [ -z "$up" ]; then
  echo "with-slurm: the node did not come up in 10 s (state: ${state:-none})" >&2
  tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
  exit 1
fi

export HOLDOUT_TEST_SLURM=1 HOLDOUT_TEST_SLURM_PARTITION=holdout HOLDOUT_TEST_SLURM_SHARED="$dir/shared"
export HOLDOUT_TEST_SLURM_DIR="$dir" HOLDOUT_TEST_SLURM_NODE_ENTRY="$dir/node-entry.mjs"
echo "with-slurm: $(sinfo --version) one-node cluster $node up (SLURM_CONF=$SLURM_CONF)" >&2
set +e
"$@"
status=$?
set -e
exit "$status"
