#!/usr/bin/env bash
# The Slurm pass: runs the attack suite's network, file and resource attacks again with every run
# a job of the one-node cluster of scripts/with-slurm.sh (HOLDOUT_TEST_EXECUTOR=slurm), the
# sandbox inside each job. The executor conformance suite runs on it in the first pass already.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${HOLDOUT_TEST_SLURM_SHARED:-}" ] || { echo "test-on-slurm: HOLDOUT_TEST_SLURM_SHARED is not set (use scripts/with-slurm.sh)" >&2; exit 2; }
HOLDOUT_TEST_EXECUTOR=slurm exec node --import tsx --test --test-reporter=spec "$@" \
  test/attacks/network.test.ts test/attacks/files.test.ts test/attacks/resources.test.ts
