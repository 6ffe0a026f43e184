import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { zipFolder } from '../../src/archive/zip-folder.js';
import type { Config } from '../../src/app/config.js';
import type { Executor } from '../../src/executors/executor.js';
import { DockerExecutor } from '../../src/executors/docker/docker-executor.js';
import { SandboxExecutor } from '../../src/executors/sandbox/sandbox-executor.js';
import { BundleCache } from '../../src/worker/bundle-cache.js';
import { Worker, type WorkerOptions } from '../../src/worker/worker.js';
import { SlurmExecutor } from '../../src/executors/slurm/slurm-executor.js';
import { testSlurmOptions } from '../../src/executors/slurm/test-cluster.case.js';
import { startHoldout, testExecutorConfig, upload, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';
import { RecordingExecutor } from './recording-executor.js';

export const fixturesDir = path.join(import.meta.dirname, 'fixtures');
const kitFile = path.join(fixturesDir, '_kit', 'attack_kit.py');
/** The line prefix of a fixture's JSON report (see attack_kit.py). */
const reportMark = 'HOLDOUT-ATTACK-REPORT ';

/**
 * Limits of the attack competition: small, so that every bomb meets its limit in a second or
 * two and the suite stays short on two cores.
 */
export const attackLimits = {
  wall_time: '5s',
  memory: '256MiB',
  cpus: 1,
  pids: 32,
  output: '8MiB',
  log: '256KiB',
} as const;
export const wallTimeMs = 5_000;
export const outputBytes = 8 << 20;
export const logBytes = 256 << 10;
export const pidsLimit = 32;
/** What a cluster executor adds to how soon a run ends after its upload: scheduling its job. */
export const startSlackMs = process.env.HOLDOUT_TEST_EXECUTOR === 'slurm' ? 5_000 : 0;

/** What one attempt of a fixture's report says (see `Report.attempt` in attack_kit.py). */
export interface Attempt {
  succeeded: boolean;
  errno?: string | null;
  error?: string;
  detail?: string;
}

/** A finished submission as its owner sees it through the API. */
export type SubmissionView = Record<string, unknown>;

export interface BenchOptions {
  /** Limits replacing `attackLimits` entries, in competition.yaml units. */
  limits?: Partial<Record<keyof typeof attackLimits, string | number>>;
  /** Extra top-level YAML for competition.yaml (e.g. a `logs:` section). */
  yaml?: string;
  config?: Partial<Record<keyof Config, unknown>>;
  editBundle?: (dir: string) => Promise<void>;
  /** Runs at once. @defaultValue 2 */
  workers?: number;
  /** Worker options on top of the bench's (e.g. short deadlines). */
  worker?: Partial<WorkerOptions>;
  /** Puts a fault into the platform: wraps the real sandbox executor. */
  wrapExecutor?: (real: Executor) => Executor;
}

/** A real Holdout (HTTP server, worker, sandbox executor) set up for attacks. */
export interface AttackBench {
  h: TestHoldout;
  recorder: RecordingExecutor;
  worker: Worker;
  /** Host uids this bench's runs get, and the host folder of their workspaces. */
  uidRange: readonly [number, number];
  workspaceRoot: string;
  /** A participant's token, for submissions that do not need their own. */
  token: string;
  /** Zips a fixture folder (plus attack_kit.py and an attack.json of `settings`), uploads it, returns its id. */
  submit(fixture: string, o?: SubmitOptions): Promise<string>;
  /** Waits for a final status and returns the owner's view. */
  final(id: string, token?: string, timeoutMs?: number): Promise<SubmissionView>;
  /** The stored log blob of a submission, read as the platform would (whatever participants may see). */
  storedLog(id: string): Promise<string>;
  close(): Promise<void>;
}

export interface SubmitOptions {
  settings?: Record<string, unknown>;
  token?: string;
  /** "?kind=smoke" for a smoke run. */
  query?: string;
}

function limitsYaml(o: BenchOptions['limits'] = {}): string {
  const limits = { ...attackLimits, ...o };
  return `limits:\n${Object.entries(limits).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`;
}

/**
 * Starts Holdout with the demo bundle under attack limits, and a worker whose executor is the
 * real sandbox wrapped in a `RecordingExecutor` (which only keeps each run's output for checks).
 */
export async function startBench(o: BenchOptions = {}): Promise<AttackBench> {
  const h = await startHoldout({
    config: { ...o.config, workers: 0 },
    editYaml: (y) => {
      // Every attack is a submission of one participant: no daily quota gets in the way.
      const replaced = y.replace(/^limits:\n(?: {2}.*\n)+/m, limitsYaml(o.limits)).replace(/daily_quota: \d+/, 'daily_quota: 1000');
      assert.match(replaced, /wall_time: /, 'the demo competition.yaml has a limits block');
      return o.yaml ? `${replaced}${o.yaml}\n` : replaced;
    },
    ...(o.editBundle ? { editBundle: o.editBundle } : {}),
  });
  const { ctx } = h;
  // The real sandbox executor with uids and a workspace folder of this bench's own, so that
  // "nothing of a run is left on the host" can be checked while other test files run.
  const first = 62000 + 16 * (process.pid % 180);
  const uidRange = [first, first + 15] as const;
  const workspaceRoot = path.join(ctx.config.dataDir, 'sandbox');
  const real = attackExecutor(uidRange, workspaceRoot);
  const recorder = new RecordingExecutor(o.wrapExecutor ? o.wrapExecutor(real) : real);
  await recorder.check();
  const worker = new Worker(
    {
      submissions: ctx.submissions,
      competitions: ctx.competitions,
      blobs: ctx.blobs,
      executor: recorder,
      bundles: new BundleCache(ctx.blobs, path.join(ctx.config.dataDir, 'cache', 'bundles')),
      logger: ctx.logger,
    },
    {
      concurrency: o.workers ?? 2,
      leaseMs: ctx.config.leaseMs,
      maxAttempts: ctx.config.maxAttempts,
      maxUnpackedBytes: ctx.config.maxUnpackedBytes,
      maxFiles: ctx.config.maxFiles,
      scratchDir: path.join(ctx.config.dataDir, 'scratch'),
      pollMs: 200,
      ...o.worker,
    },
  );
  // Uploads wake `ctx.worker`; the events route listens to it.
  ctx.worker = worker;
  worker.start();
  const token = await h.participant();

  return {
    h,
    recorder,
    worker,
    uidRange,
    workspaceRoot,
    token,
    async submit(fixture, s = {}) {
      const zip = await fixtureZip(fixture, s.settings);
      try {
        const sent = await upload(h.url, s.token ?? token, 'digits', zip, s.query ?? '');
        assert.equal(sent.status, 201, `upload of ${fixture}: ${JSON.stringify(sent.body)}`);
        return String(sent.body.id);
      } finally {
        await rm(path.dirname(zip), { recursive: true, force: true });
      }
    },
    final: (id, t = token, timeoutMs = 60_000) => waitForFinal(h.url, t, id, timeoutMs),
    async storedLog(id) {
      const row = await ctx.submissions.get(id);
      assert.ok(row?.log_key, `submission ${id} has a stored log`);
      return text(await ctx.blobs.get(row.log_key));
    },
    async close() {
      await worker.stop();
      await h.close();
    },
  };
}

/**
 * The executor under attack: the sandbox, or with HOLDOUT_TEST_EXECUTOR=docker the docker
 * executor, or with HOLDOUT_TEST_EXECUTOR=slurm jobs of the test cluster whose node is this host
 * (same uids and workspace folder, so the same checks of what is left on the host hold).
 */
function attackExecutor(uidRange: readonly [number, number], workspaceRoot: string): Executor {
  const docker = testExecutorConfig();
  if (docker.executor === 'docker') return new DockerExecutor({ dockerHost: String(docker.dockerHost), uidRange, workspaceRoot });
  if (docker.executor === 'slurm') {
    return new SlurmExecutor({ ...testSlurmOptions(String(docker.slurmSharedDir)), sandbox: { root: workspaceRoot, uidRange } });
  }
  return new SandboxExecutor({ uidRange, workspaceRoot });
}

/** A submission zip of `fixtures/<name>/` with attack_kit.py and the settings as attack.json. */
export async function fixtureZip(name: string, settings?: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdout-attack-'));
  const src = path.join(dir, 'src');
  await cp(path.join(fixturesDir, name), src, { recursive: true });
  await cp(kitFile, path.join(src, 'attack_kit.py'));
  if (settings) await writeFile(path.join(src, 'attack.json'), JSON.stringify(settings));
  if (typeof settings?.control === 'string') await writeFile(path.join(src, 'control.txt'), settings.control);
  const zip = path.join(dir, 'submission.zip');
  await zipFolder(src, zip);
  return zip;
}

/** The JSON report a fixture printed last, from its log. */
export function reportOf(log: string): Record<string, unknown> {
  const line = log.split('\n').filter((l) => l.startsWith(reportMark)).at(-1);
  assert.ok(line, `the log holds the attack report; it ends with: ${log.slice(-600)}`);
  return JSON.parse(line.slice(reportMark.length)) as Record<string, unknown>;
}

/** One attempt of a report, which must be there. */
export function attemptOf(report: Record<string, unknown>, name: string): Attempt {
  const a = report[name] as Attempt | undefined;
  assert.ok(a && typeof a.succeeded === 'boolean', `the report has attempt "${name}": ${JSON.stringify(report).slice(0, 400)}`);
  return a;
}

/** Asserts that an attempt failed, with the errno names that count as the expected refusal. */
export function assertRefused(report: Record<string, unknown>, name: string, errnos?: readonly string[]): void {
  const a = attemptOf(report, name);
  assert.equal(a.succeeded, false, `attack "${name}" worked: ${a.detail ?? ''}`);
  if (errnos) assert.ok(errnos.includes(a.errno ?? ''), `attack "${name}" failed, but not as refused (${errnos.join('/')}): ${a.error ?? ''}`);
}

/** Reads a file of the test process's own, for before/after comparisons. */
export function readHostFile(file: string): Promise<Buffer | null> {
  return readFile(file).catch(() => null);
}
