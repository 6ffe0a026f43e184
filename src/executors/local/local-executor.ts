import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Limits } from '../../domain/limits.js';
import type { Executor, RunOutcome, RunResult, RunSpec } from '../executor.js';
// The log cap is the same code as the sandbox's, so a log is cut at the same byte.
import { LogSink } from '../host/log-sink.js';
import { killProcessGroup, processGroupUsage, userProcessCount } from './process-group.js';
import { localApproximations, prlimitArgs, translateLayoutPaths } from './local-limits.js';

/** How a `LocalExecutor` is set up. Every field is optional. */
export interface LocalExecutorOptions {
  /**
   * Folder under which each run gets a scratch folder.
   * @defaultValue `${os.tmpdir()}/holdout-local-<uid>`: one per user, as several may share a machine
   */
  workspaceRoot?: string;
  /**
   * How often the run's memory is sampled.
   * @defaultValue 100
   */
  memoryPollMs?: number;
}

const prlimitPath = '/usr/bin/prlimit';
const hostPython = '/usr/bin/python3';
const safeRunId = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A weaker executor for `holdout test-submission` where the sandbox cannot run (no root, no
 * cgroups): the command runs as the current user in its own process group, with rlimits from
 * prlimit, a wall-time timer and a sampled memory limit. It is **not isolation**: the run has the
 * network and every file the user has. `approximations()` says what is only approximate.
 * @remarks Never used by the platform. Layout paths are not mounted: the run works in a copy of
 * the code, and environment values naming a layout path are rewritten to the host folder.
 * The "host" runtime's `python` is Debian's /usr/bin/python3, as in the sandbox.
 */
export class LocalExecutor implements Executor {
  readonly name = 'local';
  readonly #workspaceRoot: string;
  readonly #pollMs: number;

  constructor(options: LocalExecutorOptions = {}) {
    this.#workspaceRoot = options.workspaceRoot ?? path.join(os.tmpdir(), `holdout-local-${process.getuid?.() ?? 'user'}`);
    this.#pollMs = options.memoryPollMs ?? 100;
  }

  async check(): Promise<void> {
    if (process.platform !== 'linux') throw new Error(`the local runner needs Linux (this is ${process.platform}); use Docker with the runtime's Dockerfile`);
  }

  /** What this runner enforces only approximately for these limits, one sentence each. */
  approximations(limits: Limits, runtime: string): string[] {
    return localApproximations(limits, {
      prlimit: executable(prlimitPath),
      root: process.getuid?.() === 0,
      ...(runtime === 'host' ? {} : { runtime }),
    });
  }

  async run(spec: RunSpec): Promise<RunResult> {
    if (spec.harnessDir !== undefined) throw new Error("the local runner does not run a host's harness (it is the host's, never part of a participant's local test)");
    if (!safeRunId.test(spec.runId)) throw new Error(`runId "${spec.runId}" cannot name a folder`);
    if (spec.command.length === 0) throw new Error('a run needs a command');
    await mkdir(this.#workspaceRoot, { recursive: true, mode: 0o700 });
    const dir = await mkdtemp(path.join(this.#workspaceRoot, `${spec.runId}-`));
    const host = { code: path.join(dir, 'src'), data: spec.dataDir, output: path.join(dir, 'output') };
    const bin = path.join(dir, 'bin');
    try {
      await cp(spec.codeDir, host.code, { recursive: true, verbatimSymlinks: true });
      await Promise.all([mkdir(host.output), mkdir(bin), mkdir(path.join(dir, 'home')), mkdir(path.join(dir, 'tmp'))]);
      // `python` is Debian's python3, as in the sandbox's host runtime.
      if (executable(hostPython)) await symlink(hostPython, path.join(bin, 'python'));
      const log = await LogSink.open(spec.logPath, spec.limits.logBytes, spec.onLog);
      const seen = await this.#supervise(spec, dir, host, log);
      const logged = await log.close();
      let disposed: Promise<void> | null = null;
      return {
        ...seen,
        logBytes: logged.bytes,
        logTruncated: logged.truncated,
        outputDir: host.output,
        dispose: () => (disposed ??= rm(dir, { recursive: true, force: true })),
      };
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async #supervise(
    spec: RunSpec,
    dir: string,
    host: { code: string; data: string; output: string },
    log: LogSink,
  ): Promise<{ outcome: RunOutcome; exitCode: number | null; signal: string | null; wallMs: number }> {
    const env = {
      PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`,
      HOME: path.join(dir, 'home'),
      TMPDIR: path.join(dir, 'tmp'),
      LANG: 'C.UTF-8',
      ...translateLayoutPaths(spec.env ?? {}, spec.layout, host),
    };
    const uid = process.getuid?.() ?? 0;
    const limited = executable(prlimitPath);
    const [file, ...args] = limited
      ? [prlimitPath, ...prlimitArgs(spec.limits, uid === 0 ? null : await userProcessCount(uid)), '--', ...spec.command]
      : spec.command;
    if (spec.signal?.aborted === true) return { outcome: 'cancelled', exitCode: null, signal: null, wallMs: 0 };

    return new Promise((resolve, reject) => {
      const started = performance.now();
      // detached: a process group of its own, so the whole tree can be killed at once.
      const child = spawn(file ?? '', args, { cwd: host.code, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const stopped = { timedOut: false, oom: false, cancelled: false };
      let exit: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
      let wallMs = 0;
      const stop = (why: keyof typeof stopped) => {
        stopped[why] = true;
        if (child.pid !== undefined) killProcessGroup(child.pid);
      };
      const timer = setTimeout(() => stop('timedOut'), Math.min(spec.limits.wallTimeMs, 2 ** 31 - 1));
      let sampling = false;
      const poll = setInterval(() => {
        if (sampling || child.pid === undefined) return;
        sampling = true;
        void processGroupUsage(child.pid)
          .then((u) => u.rssBytes > spec.limits.memoryBytes && stop('oom'))
          .finally(() => (sampling = false));
      }, this.#pollMs);
      const onAbort = () => stop('cancelled');
      spec.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = () => {
        clearTimeout(timer);
        clearInterval(poll);
        spec.signal?.removeEventListener('abort', onAbort);
      };
      child.stdout.on('data', (chunk: Buffer) => log.write(chunk));
      child.stderr.on('data', (chunk: Buffer) => log.write(chunk));
      child.on('error', (error) => {
        finish();
        reject(new Error(`cannot start ${file}: ${error.message}`));
      });
      child.on('exit', (code, signal) => {
        wallMs = Math.round(performance.now() - started);
        exit = { code, signal };
        // What the entry point left behind in its group must not hold the pipes open.
        if (child.pid !== undefined) killProcessGroup(child.pid);
      });
      child.on('close', () => {
        finish();
        const outcome: RunOutcome = stopped.cancelled ? 'cancelled' : stopped.oom ? 'out_of_memory' : stopped.timedOut ? 'timeout' : 'exited';
        resolve({ outcome, exitCode: exit.code, signal: exit.signal, wallMs });
      });
    });
  }
}
