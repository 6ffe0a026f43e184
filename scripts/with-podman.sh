#!/usr/bin/env bash
# Runs a command next to podman's Docker-compatible API service (`podman system service`) on a
# temporary unix socket. The command sees HOLDOUT_TEST_DOCKER_HOST=unix:///…/podman.sock; the
# service is stopped when the command ends, whatever its exit status. The containers it runs use
# the host's podman storage and /etc/containers/containers.conf (npm run setup writes the settings
# a cgroup v1 host needs).
#
#   scripts/with-podman.sh npm test
#   scripts/with-podman.sh npm run bench:executors
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 <command> [args...]" >&2; exit 2; }
command -v podman >/dev/null 2>&1 || { echo "with-podman: podman is not installed (apt-get install podman runc, or npm run setup)" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/holdout-podman.XXXXXX")
# In its own folder: conmon leaves files (an "oom" marker) in the service's working directory.
(cd "$dir" && exec podman system service --time=0 "unix://$dir/podman.sock") >"$dir/service.log" 2>&1 &
service=$!
stop() {
  kill "$service" 2>/dev/null || true
  wait "$service" 2>/dev/null || true
  rm -rf "$dir"
}
trap stop EXIT
for _ in $(seq 1 100); do
  [ -S "$dir/podman.sock" ] && break
  kill -0 "$service" 2>/dev/null || { cat "$dir/service.log" >&2; exit 1; }
  sleep 0.1
done
[ -S "$dir/podman.sock" ] || { echo "with-podman: the service did not create its socket in 10 s" >&2; cat "$dir/service.log" >&2; exit 1; }

export HOLDOUT_TEST_DOCKER_HOST="unix://$dir/podman.sock"
echo "with-podman: $(podman --version) serving the Docker API on $HOLDOUT_TEST_DOCKER_HOST" >&2
set +e
"$@"
status=$?
set -e
exit "$status"
