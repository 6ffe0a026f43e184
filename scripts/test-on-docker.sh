#!/usr/bin/env bash
# The container pass: runs the attack suite and the end-to-end journey again with every run in a
# container of the docker executor (HOLDOUT_TEST_EXECUTOR=docker), against the engine at
# HOLDOUT_TEST_DOCKER_HOST. The executor conformance suite runs on it in the first pass already.
# Needs HOLDOUT_TEST_DOCKER_HOST: run it through scripts/with-podman.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${HOLDOUT_TEST_DOCKER_HOST:-}" ] || { echo "test-on-docker: HOLDOUT_TEST_DOCKER_HOST is not set (use scripts/with-podman.sh)" >&2; exit 2; }
mapfile -t files < <(ls test/attacks/*.test.ts test/e2e/end-to-end.test.ts | sort)
# Two files at a time, as the first pass: a container's start waits more than it computes
# (measured: 175 s one at a time, 121 s with two).
HOLDOUT_TEST_EXECUTOR=docker exec node --import tsx --test --test-concurrency=2 --test-reporter=spec "$@" "${files[@]}"
