import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunOutcome, RunSpec } from '../executor.js';
import { hostLauncher } from '../host/host-launcher.js';
import type { LogSink } from '../host/log-sink.js';
import { decideOutcome } from '../host/run-outcome.js';
import type { Workspace } from '../host/workspace.js';
import { containerCreateBody } from './container-spec.js';
import type { EngineClient } from './engine-client.js';
import { FrameReader } from './frames.js';
import type { LogFifo } from './log-fifo.js';
import type { ContainerGpus } from './gpu-devices.js';
import type { ContainerRuntime } from './runtime-images.js';
import { runLabels } from './stale-containers.js';

/** A prepared container run: workspace mounted, cgroup created, log open. */
export interface ContainerRun {
  name: string;
  spec: RunSpec;
  runtime: ContainerRuntime;
  workspace: Workspace;
  uid: number;
  cgroupParent: string;
  /** See `ContainerInput.seccomp`. */
  seccomp: string;
  log: LogSink;
  /** The pipe the run writes its output to. */
  logPipe: LogFifo;
  gpu?: ContainerGpus;
}

/** What happened while the container ran; the outcome waits for the OOM count. */
export interface ContainerObservation {
  wallMs: number;
  decide(oomKills: number): { outcome: RunOutcome; exitCode: number | null; signal: string | null };
}

/** setTimeout's largest delay. */
const maxTimerMs = 2 ** 31 - 1;
/** How long the attach stream may lag behind the container's exit before the rest is dropped. */
const streamDrainMs = 2000;

/**
 * Creates the container, attaches to its output (before it starts: nothing is missed), starts it,
 * enforces the wall time and the abort signal with SIGKILL, waits for its exit and removes it.
 * @throws Error when the engine fails (the worker retries): the container is removed even then.
 */
export async function runContainer(client: EngineClient, run: ContainerRun): Promise<ContainerObservation> {
  const { spec } = run;
  const body = containerCreateBody({
    spec,
    image: run.runtime.image,
    runtimeBinds: run.runtime.binds,
    workspace: run.workspace,
    uid: run.uid,
    cgroupParent: run.cgroupParent,
    seccomp: run.seccomp,
    launcher: hostLauncher(),
    logPipe: run.logPipe.file,
    labels: { [runLabels.executor]: 'docker', [runLabels.run]: run.name },
    ...(run.gpu ? { gpu: run.gpu } : {}),
  });
  // The pipe is read (and grown) while the engine creates the container.
  const piped = run.logPipe.start((chunk) => run.log.write(chunk));
  const created = await client.json<{ Id: string }>('POST', `/containers/create?name=holdout-${run.name}`, { body }).catch(async (error: unknown) => {
    await piped;
    await run.logPipe.finish(0);
    throw error;
  });
  await piped;
  const id = created.Id;
  let failed = false;
  try {
    return await superviseContainer(client, id, run);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // Idempotent: a run that ended normally has drained its pipe already.
    await run.logPipe.finish(0);
    // Removal also ends a container still running after an engine error. Its own failure matters
    // only when the run itself went well: otherwise the first error is the one to report.
    await client.text('DELETE', `/containers/${id}?force=true&v=true`).catch((error: unknown) => {
      if (!failed) throw new Error(`the run ended but its container ${id} could not be removed: ${(error as Error).message}`);
    });
  }
}

async function superviseContainer(client: EngineClient, id: string, run: ContainerRun): Promise<ContainerObservation> {
  const { spec, log } = run;
  let cancelled = false;
  let timedOut = false;
  if (spec.signal?.aborted) return { wallMs: 0, decide: (oomKills) => decideOutcome({ cancelled: true, timedOut, oomKills, status: null }) };

  // Before the redirection, the engine's stream carries the output (setpriv or sh failing).
  const stream = await client.attach(id);
  const drained = drain(stream, new FrameReader((chunk) => log.write(chunk)));
  const kill = () => void client.text('POST', `/containers/${id}/kill?signal=KILL`).catch(() => undefined);
  const onAbort = () => {
    cancelled = true;
    kill();
  };
  let timer: NodeJS.Timeout | undefined;
  const started = performance.now();
  let status: number;
  try {
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    await client.text('POST', `/containers/${id}/start`);
    // From the moment the process surely runs: the run gets its whole time, however slow the start.
    timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, Math.min(spec.limits.wallTimeMs, maxTimerMs));
    ({ StatusCode: status } = await client.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`));
  } catch (error) {
    stream.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
    spec.signal?.removeEventListener('abort', onAbort);
  }
  const wallMs = await runTime(client, id) ?? performance.now() - started;
  await Promise.all([run.logPipe.finish(), Promise.race([drained, sleep(streamDrainMs)])]);
  stream.destroy();
  // The engine reports a death by signal N as 128 + N, as the sandbox does.
  return { wallMs, decide: (oomKills) => decideOutcome({ cancelled, timedOut, oomKills, status }) };
}

/**
 * How long the container's process ran, from the engine's own start and exit times (our clock
 * would add the engine's start and kill latency, which is not the run's time); undefined when the
 * engine does not say.
 */
async function runTime(client: EngineClient, id: string): Promise<number | undefined> {
  const state = (await client.json<{ State?: { StartedAt?: string; FinishedAt?: string } }>('GET', `/containers/${id}/json`))?.State;
  const ms = Date.parse(state?.FinishedAt ?? '') - Date.parse(state?.StartedAt ?? '');
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** Feeds the attach stream to the reader until it ends. */
function drain(stream: Duplex, reader: FrameReader): Promise<void> {
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => reader.push(chunk));
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
}
