import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { pino } from 'pino';
import { createUser } from '../../src/app/accounts.js';
import { mountPoints, unmount } from '../../src/data-images/mount-image.js';
import { loadConfig, type Config } from '../../src/app/config.js';
import { createContext, type AppContext } from '../../src/app/context.js';
import { installCompetition } from '../../src/app/install-competition.js';
import { zipFolder } from '../../src/archive/zip-folder.js';
import { testDialects, type TestDialect } from '../../src/db/test-databases.case.js';
import { buildServer } from '../../src/server/build-server.js';
import { slurmSkip, testSlurmOptions } from '../../src/executors/slurm/test-cluster.case.js';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const demoBundle = path.join(repoRoot, 'examples', 'digits', 'bundle');
export const exampleSubmission = path.join(repoRoot, 'examples', 'digits-submission');

/** A real Holdout (server + in-process worker + SQLite + fs blobs + sandbox) on a loopback port. */
export interface TestHoldout {
  url: string;
  ctx: AppContext;
  dataDir: string;
  /** Registers a participant and returns their bearer token. */
  participant(name?: string): Promise<string>;
  /** An admin's bearer token. */
  admin(): Promise<string>;
  close(): Promise<void>;
}

export interface StartOptions {
  config?: Partial<Record<keyof Config, unknown>>;
  /** Edits the demo bundle's competition.yaml before it is installed (e.g. a shorter time limit). */
  editYaml?: (yaml: string) => string;
  /** Changes files of the bundle copy (e.g. a canary in the labels) before it is installed. */
  editBundle?: (dir: string) => Promise<void>;
  /**
   * A fresh database of this dialect, dropped on close. Default: SQLite in the data folder, or
   * PostgreSQL for every test when HOLDOUT_TEST_DATABASE=postgres.
   */
  dialect?: TestDialect;
}

/**
 * HOLDOUT_TEST_EXECUTOR=docker (with scripts/with-podman.sh) runs every test server's submissions
 * in containers through the engine at HOLDOUT_TEST_DOCKER_HOST instead of the sandbox;
 * HOLDOUT_TEST_EXECUTOR=slurm (with scripts/with-slurm.sh) as jobs of its one-node cluster.
 */
export function testExecutorConfig(): Partial<Record<keyof Config, unknown>> {
  const kind = process.env.HOLDOUT_TEST_EXECUTOR;
  if (!kind || kind === 'sandbox') return {};
  if (kind === 'slurm') return testSlurmConfig();
  if (kind !== 'docker') throw new Error(`HOLDOUT_TEST_EXECUTOR=${kind}: expected sandbox, docker or slurm`);
  const dockerHost = process.env.HOLDOUT_TEST_DOCKER_HOST;
  if (!dockerHost) throw new Error('HOLDOUT_TEST_EXECUTOR=docker needs HOLDOUT_TEST_DOCKER_HOST (scripts/with-podman.sh sets it)');
  return { executor: 'docker', dockerHost };
}

function testSlurmConfig(): Partial<Record<keyof Config, unknown>> {
  if (slurmSkip) throw new Error(`HOLDOUT_TEST_EXECUTOR=slurm: ${slurmSkip}`);
  const options = testSlurmOptions(path.join(process.env.HOLDOUT_TEST_SLURM_SHARED ?? '', `server-${randomUUID()}`));
  return {
    executor: 'slurm',
    slurmSharedDir: options.sharedDir,
    slurmExtraCpus: options.extraCpus,
    ...(options.partition ? { slurmPartition: options.partition } : {}),
    ...(options.nodeCommand ? { slurmNodeCommand: options.nodeCommand.join(' ') } : {}),
  };
}

/** HOLDOUT_TEST_DATABASE=postgres (with scripts/with-postgres.sh) runs every test server on PostgreSQL. */
function defaultDialect(): TestDialect | undefined {
  const name = process.env.HOLDOUT_TEST_DATABASE;
  if (!name || name === 'sqlite') return undefined;
  const dialect = testDialects.find((d) => d.name === name);
  if (!dialect || dialect.skip) throw new Error(`HOLDOUT_TEST_DATABASE=${name}: ${dialect?.skip || 'unknown dialect'}`);
  return dialect;
}

export async function startHoldout(opts: StartOptions = {}): Promise<TestHoldout> {
  const overrides = opts.config ?? {};
  const dataDir = await mkdtemp(path.join(tmpdir(), 'holdout-test-'));
  let bundle = demoBundle;
  if (opts.editYaml || opts.editBundle) {
    bundle = path.join(dataDir, 'bundle');
    await cp(demoBundle, bundle, { recursive: true });
    const yamlFile = path.join(bundle, 'competition.yaml');
    if (opts.editYaml) await writeFile(yamlFile, opts.editYaml(await readFile(yamlFile, 'utf8')));
    await opts.editBundle?.(bundle);
  }
  const database = await (opts.dialect ?? defaultDialect())?.create();
  // Test receivers listen on loopback, which a real server refuses (HOLDOUT_WEBHOOK_ALLOW_PRIVATE).
  const config = loadConfig({}, { dataDir, port: 0, workers: 1, webhookAllowPrivate: true, ...testExecutorConfig(), ...(database ? { databaseUrl: database.url } : {}), ...overrides });
  const ctx = await createContext(config, pino({ level: process.env.HOLDOUT_TEST_LOG ?? 'silent' }));
  await installCompetition(bundle, ctx);
  // HOLDOUT_TEST_WEB_ROOT serves another build of the web app (e.g. an older one, to see a browser test fail before its fix).
  const app = await buildServer(ctx, process.env.HOLDOUT_TEST_WEB_ROOT ? { webRoot: process.env.HOLDOUT_TEST_WEB_ROOT } : {});
  ctx.worker?.start();
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const register = async (username: string) => {
    const res = await fetch(`${url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'correct horse battery' }),
    });
    if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  };
  return {
    url,
    ctx,
    dataDir,
    participant: (name = `p-${randomUUID().slice(0, 8)}`) => register(name),
    async admin() {
      const name = `admin-${randomUUID().slice(0, 6)}`;
      await createUser(ctx.users, name, 'correct horse battery', 'admin');
      const res = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: name, password: 'correct horse battery' }),
      });
      return ((await res.json()) as { token: string }).token;
    },
    async close() {
      await app.close();
      await ctx.close();
      await database?.drop();
      // A worker process the test killed leaves its data images mounted (the next worker uses
      // them; a host's sweep unmounts them once unused): unmount them before removing the folder.
      for (const dir of await mountPoints()) if (dir.startsWith(`${dataDir}/`)) await unmount(dir).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Trains the example model once (it is not committed) so the example submission can be zipped. */
export function ensureExampleModel(): void {
  if (existsSync(path.join(exampleSubmission, 'model.pkl'))) return;
  execFileSync('/usr/bin/python3', ['train.py'], { cwd: exampleSubmission, stdio: 'ignore' });
}

/** Zips a folder's files (skipping training-only files) into a temp submission.zip. */
export async function zipSubmission(dir: string, skip: readonly string[] = ['train.py', 'README.md']): Promise<string> {
  const out = path.join(await mkdtemp(path.join(tmpdir(), 'holdout-zip-')), 'submission.zip');
  const { listFiles } = await import('../../src/archive/zip-folder.js');
  const files = (await listFiles(dir)).filter((f) => !skip.includes(f) && !f.includes('__pycache__'));
  await zipFolder(dir, out, files);
  return out;
}

/** Uploads a zip (as a multipart file) and returns the status and JSON body. */
export async function upload(url: string, token: string, slug: string, zip: string | Buffer, query = ''): Promise<{ status: number; body: Record<string, unknown> }> {
  const data = typeof zip === 'string' ? await readFile(zip) : zip;
  // Submitting needs the competition's rules accepted; accepting again is a no-op.
  await fetch(`${url}/api/competitions/${slug}/rules`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(data)]), 'submission.zip');
  const res = await fetch(`${url}/api/competitions/${slug}/submissions${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls a submission until its status is final (scored, failed, cancelled). */
export async function waitForFinal(url: string, token: string, id: string, timeoutMs = 120_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/api/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as Record<string, unknown>;
    if (['scored', 'failed', 'cancelled'].includes(String(body.status))) return body;
    if (Date.now() > deadline) throw new Error(`submission ${id} still ${String(body.status)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function getJson(url: string, token?: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, body: await res.json() };
}
