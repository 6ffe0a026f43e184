import { chmod, cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Executor, RunResult, RunSpec } from '../executor.js';
import { checkLimits } from '../host/check-limits.js';
import { etcFileContents } from '../host/etc-files.js';
import { LogSink } from '../host/log-sink.js';
import { decideOutcome } from '../host/run-outcome.js';
import { checkLayoutPath, sandboxEnvironment } from '../host/run-environment.js';
import { EngineClient } from './engine-client.js';
import { FrameReader } from './frames.js';
import { resolveContainerRuntime } from './runtime-images.js';

/** How a `PortableDockerExecutor` is set up. */
export interface PortableDockerExecutorOptions {
  /** The engine's socket: Docker's, or podman's (rootless: $XDG_RUNTIME_DIR/podman/podman.sock). */
  dockerHost: string;
  /** Folder of the "host" runtime's shared files. @defaultValue `${os.tmpdir()}/holdout-docker-files` */
  filesDir?: string;
}

/** setTimeout's largest delay. */
const maxTimerMs = 2 ** 31 - 1;

/**
 * The docker executor for a participant's own machine (`holdout test-submission --executor
 * docker`): no root, no host cgroups or mounts; the engine enforces every limit (memory without
 * swap, pids, CPUs, time by our SIGKILL) on the competition's image, with no network, a read-only
 * root, no capabilities and the layout of the platform.
 * @remarks What it does not do like the platform: the code and output folders are plain folders
 * (writes there are not size-limited), the engine's default seccomp profile applies, and where
 * the engine does not report an OOM kill (podman on cgroup v1) a SIGKILL the executor did not send
 * is taken for one.
 */
export class PortableDockerExecutor implements Executor {
  readonly name = 'docker';
  readonly #client: EngineClient;
  readonly #files: string;
  #rootless: Promise<boolean> | undefined;

  constructor(options: PortableDockerExecutorOptions) {
    this.#client = new EngineClient(options.dockerHost);
    this.#files = options.filesDir ?? path.join(os.tmpdir(), 'holdout-docker-files');
  }

  async check(): Promise<void> {
    await this.#client.json('GET', '/version');
  }

  /** Rootless podman maps the caller's uid to its own only when asked to (keep-id). */
  #isRootlessPodman(): Promise<boolean> {
    return (this.#rootless ??= this.#client.json<{ SecurityOptions?: string[]; Version?: string }>('GET', '/info').then(
      (info) => (info?.SecurityOptions ?? []).includes('name=rootless') && !/docker/i.test(JSON.stringify(info?.Version ?? '')),
    ));
  }

  async run(spec: RunSpec): Promise<RunResult> {
    if (spec.harnessDir !== undefined) throw new Error("the portable docker executor does not run a host's harness (it is the host's, never part of a participant's local test)");
    checkLimits(spec.limits);
    for (const [kind, dest] of Object.entries(spec.layout)) checkLayoutPath(kind, dest);
    if (spec.limits.gpus > 0) throw new Error('the portable docker executor does not pass GPUs; run the local test with the sandbox on a GPU machine');
    const runtime = await resolveContainerRuntime(this.#client, spec, this.#files);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'holdout-docker-run-'));
    const dispose = () => rm(dir, { recursive: true, force: true });
    try {
      // The run's user: the caller's own uid (its files stay the caller's), or nobody's as root.
      const uid = process.getuid?.() || 65534;
      const code = path.join(dir, 'code');
      const output = path.join(dir, 'output');
      await cp(spec.codeDir, code, { recursive: true });
      await mkdir(output);
      await openUp(code);
      await chmod(output, 0o777);
      const etc = etcFileContents(uid);
      for (const [name, text] of Object.entries(etc)) await writeFile(path.join(dir, name), text, { mode: 0o644 });
      const log = await LogSink.open(spec.logPath, spec.limits.logBytes, spec.onLog);
      const env = sandboxEnvironment(spec.env);
      const body = {
        Image: runtime.image,
        Cmd: [...spec.command],
        Entrypoint: [],
        WorkingDir: spec.layout.code,
        User: `${uid}:${uid}`,
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        Hostname: 'sandbox',
        Labels: { 'holdout.executor': 'docker-portable' },
        AttachStdout: true,
        AttachStderr: true,
        NetworkDisabled: true,
        HostConfig: {
          NetworkMode: 'none',
          ReadonlyRootfs: true,
          Binds: [
            ...runtime.binds,
            `${code}:${spec.layout.code}:rw`,
            `${output}:${spec.layout.output}:rw`,
            `${spec.dataDir}:${spec.layout.data}:ro`,
            ...Object.keys(etc).map((name) => `${path.join(dir, name)}:/etc/${name}:ro`),
          ],
          Mounts: ['/tmp', '/dev/shm'].map((target) => ({ Type: 'tmpfs', Target: target, TmpfsOptions: { Mode: 0o1777 } })),
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          Init: true,
          Memory: spec.limits.memoryBytes,
          MemorySwap: spec.limits.memoryBytes,
          PidsLimit: spec.limits.pids,
          ...(spec.limits.cpus > 0 ? { NanoCpus: Math.round(spec.limits.cpus * 1e9) } : {}),
          Ulimits: [
            { Name: 'nofile', Soft: 4096, Hard: 4096 },
            { Name: 'nproc', Soft: 4096, Hard: 4096 },
          ],
          LogConfig: { Type: 'none', Config: {} },
          ...((await this.#isRootlessPodman()) ? { UsernsMode: 'keep-id' } : {}),
        },
      };
      const { Id: id } = await this.#client.json<{ Id: string }>('POST', '/containers/create', { body });
      let seen;
      try {
        seen = await this.#supervise(id, spec, log);
      } finally {
        await this.#client.text('DELETE', `/containers/${id}?force=true&v=true`).catch(() => undefined);
      }
      const logged = await log.close();
      let disposed: Promise<void> | null = null;
      return { ...seen, logBytes: logged.bytes, logTruncated: logged.truncated, outputDir: output, dispose: () => (disposed ??= dispose()) };
    } catch (error) {
      await dispose();
      throw error;
    }
  }

  async #supervise(id: string, spec: RunSpec, log: LogSink) {
    const client = this.#client;
    let cancelled = spec.signal?.aborted ?? false;
    let timedOut = false;
    if (cancelled) return { ...decideOutcome({ cancelled, timedOut, oomKills: 0, status: null }), wallMs: 0 };
    const stream = await client.attach(id);
    const reader = new FrameReader((chunk) => log.write(chunk));
    const drained = new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => reader.push(chunk));
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    const kill = () => void client.text('POST', `/containers/${id}/kill?signal=KILL`).catch(() => undefined);
    const onAbort = () => {
      cancelled = true;
      kill();
    };
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      await client.text('POST', `/containers/${id}/start`);
      timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, Math.min(spec.limits.wallTimeMs, maxTimerMs));
      const { StatusCode: status } = await client.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`);
      clearTimeout(timer);
      await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 2000))]);
      const state = (await client.json<{ State?: { OOMKilled?: boolean; StartedAt?: string; FinishedAt?: string } }>('GET', `/containers/${id}/json`))?.State;
      // A SIGKILL nobody here sent is, in a container with a memory limit, the kernel's OOM killer.
      const oomKills = state?.OOMKilled || (status === 137 && !timedOut && !cancelled) ? 1 : 0;
      const wallMs = Date.parse(state?.FinishedAt ?? '') - Date.parse(state?.StartedAt ?? '');
      return { ...decideOutcome({ cancelled, timedOut, oomKills, status }), wallMs: Number.isFinite(wallMs) ? wallMs : 0 };
    } finally {
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      stream.destroy();
    }
  }
}

/** Makes a copied tree writable for the run's uid, whatever it maps to (the folder is private to us). */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o777);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await openUp(full);
    else if (entry.isFile()) await chmod(full, 0o666);
  }
}
