#!/usr/bin/env bash
# Runs every test with node's test runner (TypeScript through tsx). Needs root for the sandbox.
# Where PostgreSQL is installed (npm run setup installs it) and HOLDOUT_TEST_POSTGRES_URL is not
# set, a throwaway cluster is started for the run: the database tests then run on both dialects,
# and a second pass runs the files that start a Holdout with their servers on PostgreSQL.
# Where podman is installed, the same goes for containers (scripts/with-podman.sh, test-on-docker.sh),
# and where Slurm is, for a one-node cluster (scripts/with-slurm.sh, test-on-slurm.sh).
# Ends with one line "N passed, N failed" over every pass.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${HOLDOUT_TEST_POSTGRES_URL:-}" ] && compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  exec bash scripts/with-postgres.sh bash "$0" "$@"
fi
# Where podman is installed, its Docker API service runs for the docker executor's tests, and a
# third pass runs the attack suite and the end-to-end journey in containers.
if [ -z "${HOLDOUT_TEST_DOCKER_HOST:-}" ] && command -v podman >/dev/null 2>&1; then
  exec bash scripts/with-podman.sh bash "$0" "$@"
fi
# Where Slurm is installed, a throwaway one-node cluster runs for the slurm executor's tests, and a
# last pass runs the network, file and resource attacks with every run a job of it.
if [ -z "${HOLDOUT_TEST_SLURM_SHARED:-}" ] && command -v slurmctld >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  exec bash scripts/with-slurm.sh bash "$0" "$@"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
mapfile -t files < <(find src test -name '*.test.ts' | sort)
status=0
# Three files at a time on two cores: most of a file's time is spent waiting on a run, a server, a
# container or a browser (measured, this pass with the runtime build: 628 s with two, 521 s with
# three, the cores 74 % busy over the whole suite; earlier, without it, 13.4 min one at a time).
node --import tsx --test --test-concurrency=3 --test-reporter=spec "$@" "${files[@]}" 2>&1 | tee "$log" || status=1
if [ -n "${HOLDOUT_TEST_POSTGRES_URL:-}" ]; then
  bash scripts/test-on-postgres.sh "$@" 2>&1 | tee -a "$log" || status=1
fi
if [ -n "${HOLDOUT_TEST_DOCKER_HOST:-}" ]; then
  bash scripts/test-on-docker.sh "$@" 2>&1 | tee -a "$log" || status=1
fi
if [ -n "${HOLDOUT_TEST_SLURM_SHARED:-}" ]; then
  bash scripts/test-on-slurm.sh "$@" 2>&1 | tee -a "$log" || status=1
fi
passed=$(awk '$1 == "ℹ" && $2 == "pass" { s += $3 } END { print s + 0 }' "$log")
failed=$(awk '$1 == "ℹ" && $2 == "fail" { s += $3 } END { print s + 0 }' "$log")
echo "$passed passed, $failed failed"
exit "$status"
