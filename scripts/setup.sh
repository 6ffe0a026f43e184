#!/usr/bin/env bash
# Installs what Holdout needs on Debian 12 (apt + npm), builds it, and trains the example model.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
/usr/bin/python3 -c 'import numpy, pandas, sklearn' >/dev/null 2>&1 || missing+=(python3 python3-numpy python3-pandas python3-sklearn)
# Debian's chromium drives the web app's browser tests (playwright-core downloads no browser).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# debootstrap builds runtimes (holdout runtime build) from Debian's packages.
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
# PostgreSQL: the second database dialect; the tests start a throwaway cluster of their own.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
# podman: runtime images (holdout runtime build/push/pull) and the docker executor's engine (its
# Docker API service); runc because crun refuses hybrid cgroup hosts, catatonit as the containers'
# init; skopeo and Debian's docker-registry for the registry tests.
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
command -v catatonit >/dev/null 2>&1 || missing+=(catatonit)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
# Slurm: the slurm executor's tests start a one-node cluster of their own (scripts/with-slurm.sh).
command -v slurmctld >/dev/null 2>&1 || missing+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || missing+=(slurmd)
command -v sbatch >/dev/null 2>&1 || missing+=(slurm-client)
command -v slurmrestd >/dev/null 2>&1 || missing+=(slurmrestd)
command -v munged >/dev/null 2>&1 || missing+=(munge)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# podman on a host whose PID 1 is not systemd, with cgroup v1 controllers (FACTS.md): runc,
# cgroupfs, a file event log, and ulimits it can set. Only written where no configuration exists.
if command -v podman >/dev/null 2>&1 && [ ! -e /etc/containers/containers.conf ] && [ "$(id -u)" -eq 0 ] &&
  [ "$(cat /proc/1/comm 2>/dev/null)" != systemd ]; then
  echo "setup: writing /etc/containers/containers.conf for podman (runc, cgroupfs)"
  mkdir -p /etc/containers
  cat >/etc/containers/containers.conf <<'CONF'
# Written by Holdout's setup: PID 1 is not systemd here, and crun refuses hybrid cgroup hosts.
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build

if [ ! -f examples/digits-submission/model.pkl ]; then
  echo "setup: training the example model"
  (cd examples/digits-submission && /usr/bin/python3 train.py >/dev/null)
fi
echo "setup: done"
