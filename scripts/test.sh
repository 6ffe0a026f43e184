#!/usr/bin/env bash
# Runs every test with node's test runner (TypeScript through tsx). Needs root for the sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find src test -name '*.test.ts' | sort)
exec node --import tsx --test --test-reporter=spec "$@" "${files[@]}"
