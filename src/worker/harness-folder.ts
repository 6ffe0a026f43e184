import { chmod, cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type HarnessConfig, callTimeoutExit, harnessMount } from '../domain/harness.js';
import type { RunLayout } from '../domain/limits.js';

/**
 * `holdout_harness.py`, put beside every harness's files: the run's folders, importing the
 * participant's code, and per-call deadlines.
 * @remarks A deadline is a SIGALRM timer in the harness's own process, because a harness that
 * imports a model class calls it in-process (no pickling, no second interpreter); the handler
 * ends the process with `os._exit`, which no `except` in the participant's code can catch. Code
 * that replaces the SIGALRM handler escapes the per-call deadline, never the run's wall time.
 * Timers work in the main thread only (Python's rule for signals).
 */
export const harnessHelperPy = `"""Holdout's helper for a host's harness (import holdout_harness).

    import holdout_harness as hh
    Model = hh.import_code("model").Model     # model.py of the submission, from HOLDOUT_CODE
    model = hh.call(Model)                    # each call under the per-call limit (HOLDOUT_CALL_TIMEOUT)
    prediction = hh.call(model.predict, row)

A call past its deadline ends the run at once with exit status ${callTimeoutExit}, which Holdout
reports to the participant as a per-call timeout. The run's wall time still bounds everything.
"""
import importlib
import os
import signal
import sys
from pathlib import Path

CODE = Path(os.environ.get("HOLDOUT_CODE", "/code_execution/src"))
DATA = Path(os.environ.get("HOLDOUT_DATA", "/code_execution/data"))
OUTPUT = Path(os.environ.get("HOLDOUT_OUTPUT", "/code_execution/submission"))
HARNESS = Path(__file__).resolve().parent
SMOKE = os.environ.get("HOLDOUT_SMOKE") == "1"
CALL_TIMEOUT = float(os.environ["HOLDOUT_CALL_TIMEOUT"]) if os.environ.get("HOLDOUT_CALL_TIMEOUT") else None
CALL_TIMEOUT_EXIT = ${callTimeoutExit}


def import_code(module):
    """Imports a module of the participant's code (read-only at CODE)."""
    if str(CODE) not in sys.path:
        sys.path.insert(0, str(CODE))
    return importlib.import_module(module)


def _expired(name, seconds):
    def handler(signum, frame):
        try:
            sys.stdout.flush()
        except Exception:
            pass
        os.write(2, f"[holdout] {name} took longer than the per-call limit of {seconds:g} s\\n".encode())
        os._exit(CALL_TIMEOUT_EXIT)

    return handler


def call(fn, *args, timeout=None, **kwargs):
    """fn(*args, **kwargs) within timeout seconds (default: the competition's call_timeout)."""
    seconds = CALL_TIMEOUT if timeout is None else timeout
    if not seconds:
        return fn(*args, **kwargs)
    name = getattr(fn, "__qualname__", "a call")
    previous = signal.signal(signal.SIGALRM, _expired(name, seconds))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
`;

/** Makes a copied tree readable by the run's unprivileged uid, whatever the bundle cache's modes. */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await openUp(p);
    else await chmod(p, 0o644);
  }
}

/**
 * Builds the folder a run mounts read-only at `harnessMount`: the bundle's harness files and
 * `holdout_harness.py`, readable by the run.
 */
export async function prepareHarnessFolder(bundleDir: string, harness: HarnessConfig, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  if (harness.dir !== undefined) await cp(path.join(bundleDir, harness.dir), target, { recursive: true });
  await writeFile(path.join(target, 'holdout_harness.py'), harnessHelperPy);
  await openUp(target);
}

/** The variables a harness reads besides HOLDOUT_DATA, HOLDOUT_OUTPUT and HOLDOUT_SMOKE. */
export function harnessEnvironment(harness: HarnessConfig, layout: RunLayout): Record<string, string> {
  return {
    HOLDOUT_CODE: layout.code,
    HOLDOUT_HARNESS: harnessMount,
    ...(harness.callTimeoutMs === undefined ? {} : { HOLDOUT_CALL_TIMEOUT: String(harness.callTimeoutMs / 1000) }),
  };
}
