#!/usr/bin/env bash
# The second database pass: runs again, with every test server on PostgreSQL
# (HOLDOUT_TEST_DATABASE=postgres), each test file that starts a Holdout or opens a database but
# does not choose its dialects itself (files that loop over `testDialects` ran on both already).
# Needs HOLDOUT_TEST_POSTGRES_URL: run it through scripts/with-postgres.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${HOLDOUT_TEST_POSTGRES_URL:-}" ] || { echo "test-on-postgres: HOLDOUT_TEST_POSTGRES_URL is not set (use scripts/with-postgres.sh)" >&2; exit 2; }
# Not again: the attacks on the executor's walls (files, kernel, network, outputs, resources) and
# the runtime image builds, which never reach the database; the attacks that do (secrets in it,
# deadlines and leases, leftovers, log visibility, platform faults) run again here.
# Nor the browser tests: what they ask of the database, the API tests ask of it too.
agnostic='^test/attacks/(files|kernel|network|outputs|resources)\.test\.ts$|^test/cli/runtime\.test\.ts$|^test/e2e/runtime-registry\.test\.ts$|^test/web/(browser|browser-newcomer|readme-try-it)\.test\.ts$'
mapfile -t files < <(grep -rlE 'holdout-server|attack-harness|createContext|createDatabase' --include='*.test.ts' src test | xargs grep -L 'testDialects' | grep -vE "$agnostic" | sort)
HOLDOUT_TEST_DATABASE=postgres exec node --import tsx --test --test-concurrency=2 --test-reporter=spec "$@" "${files[@]}"
