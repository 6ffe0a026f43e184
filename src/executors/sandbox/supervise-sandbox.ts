import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { RunSpec } from '../executor.js';
import { buildBwrapArgs } from './bwrap-args.js';
import type { GpuRunArgs } from './gpu-args.js';
import { buildLauncherArgs } from './launcher-args.js';
import type { LogSink } from '../host/log-sink.js';
import type { RunCgroup } from '../host/run-cgroup.js';
import type { SandboxRuntime } from './sandbox-runtime.js';
import type { Workspace } from '../host/workspace.js';

/** A prepared run: workspace mounted, cgroup created, log open. */
export interface SupervisedRun {
  spec: RunSpec;
  runtime: SandboxRuntime;
  uid: number;
  workspace: Workspace;
  cgroup: RunCgroup;
  log: LogSink;
  /** A compiled seccomp program for bwrap, if any. */
  seccomp?: Buffer;
  /** What makes the run's assigned GPUs usable, if it has any. */
  gpu?: GpuRunArgs;
}

/** What happened while the sandbox ran. */
export interface SandboxObservation {
  /** bwrap finished its setup and started the entry point. */
  started: boolean;
  /** The entry point's status as bwrap reported it (128 + N for signal N); null if unknown. */
  status: number | null;
  /** How the launcher (bwrap) process itself ended. */
  exitStatus: number | null;
  exitSignal: string | null;
  cancelled: boolean;
  timedOut: boolean;
  wallMs: number;
  /** The start of stderr while bwrap had not started the entry point: bwrap's own complaints. */
  setupErrors: string;
}

const statusFd = 3;
const seccompFd = 4;
/** setTimeout's largest delay; longer limits are beyond any sensible run anyway. */
const maxTimerMs = 2 ** 31 - 1;

/**
 * Starts the launcher (which joins the cgroup and execs bwrap) with an empty environment and only
 * the descriptors it needs, streams its output to the log, enforces the wall time and the abort
 * signal by killing the cgroup, and resolves once the launcher has exited and its pipes are closed.
 * @throws Error only when the launcher cannot be spawned at all.
 */
export function superviseSandbox(run: SupervisedRun): Promise<SandboxObservation> {
  const { spec, cgroup, log, workspace } = run;
  const seen: SandboxObservation = {
    started: false,
    status: null,
    exitStatus: null,
    exitSignal: null,
    cancelled: false,
    timedOut: false,
    wallMs: 0,
    setupErrors: '',
  };
  if (spec.signal?.aborted === true) return Promise.resolve({ ...seen, cancelled: true });

  const bwrapArgs = buildBwrapArgs({
    rootArgs: run.runtime.rootArgs,
    layout: spec.layout,
    hostPaths: { code: workspace.src, output: workspace.output, data: spec.dataDir, ...(spec.harnessDir === undefined ? {} : { harness: spec.harnessDir }) },
    codeReadOnly: spec.codeReadOnly === true,
    ...(spec.aliases === undefined ? {} : { aliases: spec.aliases }),
    etcFiles: workspace.etcFiles,
    uid: run.uid,
    command: spec.command,
    env: { ...spec.env, ...run.gpu?.env },
    deviceArgs: run.gpu?.args,
    statusFd,
    seccompFd: run.seccomp === undefined ? undefined : seccompFd,
    ...(run.runtime.dropPrivileges ? { dropPrivileges: run.runtime.dropPrivileges } : {}),
  });
  const fds = run.seccomp === undefined ? [statusFd] : [statusFd, seccompFd];
  const launcher = buildLauncherArgs({ procsFiles: cgroup.procsFiles, keepFds: fds, argv: ['/usr/bin/bwrap', ...bwrapArgs] });

  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(launcher.file, launcher.args, {
      env: {},
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', ...(run.seccomp === undefined ? [] : ['pipe' as const])],
    });
    let statusText = '';
    let settled = false;

    const stop = (why: 'cancelled' | 'timedOut'): void => {
      seen[why] = true;
      cgroup.kill();
    };
    const timer = setTimeout(() => stop('timedOut'), Math.min(spec.limits.wallTimeMs, maxTimerMs));
    const onAbort = (): void => stop('cancelled');
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (): void => {
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
    };

    const ignore = (): void => undefined;
    child.stdout?.on('data', (chunk: Buffer) => log.write(chunk)).on('error', ignore);
    child.stderr
      ?.on('data', (chunk: Buffer) => {
        if (!seen.started && seen.setupErrors.length < 4096) seen.setupErrors += chunk.toString('utf8');
        log.write(chunk);
      })
      .on('error', ignore);
    const status = child.stdio[statusFd] as Readable | null;
    status
      ?.on('data', (chunk: Buffer) => {
        statusText += chunk.toString('utf8');
        seen.started ||= statusText.includes('"child-pid"');
      })
      .on('error', ignore);
    if (run.seccomp !== undefined) {
      const input = child.stdio[seccompFd] as NodeJS.WritableStream | null;
      input?.on('error', ignore);
      input?.end(run.seccomp);
    }

    child.on('error', (error) => {
      finish();
      if (!settled) reject(new Error(`cannot start the sandbox launcher: ${error.message}`));
      settled = true;
    });
    child.on('exit', (code, signal) => {
      seen.wallMs = Math.round(performance.now() - startedAt);
      finish();
      seen.exitStatus = code;
      seen.exitSignal = signal;
      // Nothing of the run may hold the pipes open past its end.
      cgroup.kill();
    });
    child.on('close', () => {
      finish();
      const reported = /"exit-code"\s*:\s*(\d+)/.exec(statusText);
      seen.status = reported?.[1] !== undefined ? Number(reported[1]) : seen.exitSignal === null ? seen.exitStatus : null;
      if (!settled) resolve(seen);
      settled = true;
    });
  });
}
