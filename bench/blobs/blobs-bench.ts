/**
 * The blob store's cost, side by side: the fs store (a local folder) and the azure store (against
 * Azurite on loopback, so the network is not in it; a real account adds its round trips). Raw store
 * operations, then whole trivial submissions (upload → scored) on each.
 *
 *   npm run bench:blobs [-- --runs 30]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { Config } from '../../src/app/config.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { AzureBlobStore } from '../../src/storage/azure/azure-blob-store.js';
import { FsBlobStore } from '../../src/storage/fs/fs-blob-store.js';
import { startAzurite } from '../../test/helpers/azurite.js';
import { startHoldout } from '../../test/helpers/holdout-server.js';
import { trivialSubmission } from '../../test/helpers/trivial-submission.js';
import { stats, timeSubmissions } from '../submission-timings.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const runs = Number(values.runs);
const MiB = 1 << 20;

async function drain(stream: Readable): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  return bytes;
}

/** Milliseconds per operation on one store: small blobs one after another, one large blob. */
async function storeOps(store: BlobStore): Promise<Record<string, number>> {
  const small = randomBytes(4096);
  const n = 200;
  const time = async (f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    return performance.now() - t;
  };
  const put = await time(async () => {
    for (let i = 0; i < n; i++) await store.put(`small/${i}`, Readable.from([small]));
  });
  const get = await time(async () => {
    for (let i = 0; i < n; i++) await drain(await store.get(`small/${i}`));
  });
  const stat = await time(async () => {
    for (let i = 0; i < n; i++) await store.stat(`small/${i}`);
  });
  const list = await time(async () => {
    for await (const _ of store.list('small'));
  });
  const large = randomBytes(64 * MiB);
  const bigPut = await time(() => store.put('large/blob', Readable.from([large.subarray(0, 32 * MiB), large.subarray(32 * MiB)])));
  const bigGet = await time(async () => drain(await store.get('large/blob')));
  return {
    'put 4 KiB (ms each)': put / n,
    'get 4 KiB (ms each)': get / n,
    'stat (ms each)': stat / n,
    [`list ${n} keys (ms)`]: list,
    'put 64 MiB (MiB/s)': 64 / (bigPut / 1000),
    'get 64 MiB (MiB/s)': 64 / (bigGet / 1000),
  };
}

const azurite = await startAzurite();
try {
  const fsStore = new FsBlobStore(await mkdtemp(path.join(tmpdir(), 'holdout-bench-blobs-')));
  const azureStore = new AzureBlobStore({ connectionString: azurite.connectionString, container: `bench-${randomUUID()}` });
  const ops = { fs: await storeOps(fsStore), azure: await storeOps(azureStore) };

  const zip = await trivialSubmission();
  const e2e: Record<string, ReturnType<typeof stats>> = {};
  const configs: Record<string, Partial<Record<keyof Config, unknown>>> = {
    fs: {},
    azure: { blobStore: 'azure', azureConnectionString: azurite.connectionString, azureContainer: `bench-${randomUUID()}` },
  };
  const overhead: Record<string, ReturnType<typeof stats>> = {};
  for (const [name, config] of Object.entries(configs)) {
    const h = await startHoldout({ config: { logLevel: 'silent', ...config }, editYaml: (y) => y.replace(/daily_quota: \d+/, `daily_quota: ${runs + 5}`) });
    try {
      const timings = await timeSubmissions(h, await h.participant('bench'), zip, runs);
      e2e[name] = stats(timings.map((t) => t.endToEnd));
      overhead[name] = stats(timings.map((t) => t.endToEnd - t.runWall));
    } finally {
      await h.close();
    }
  }

  const f = (n: number | undefined) => (n === undefined ? '' : n.toFixed(2)).padStart(12);
  console.log(`\nBlob stores side by side (azure = Azurite on loopback)\n`);
  console.log(`${'store operation'.padEnd(34)}${'fs'.padStart(12)}${'azure'.padStart(12)}`);
  for (const key of Object.keys(ops.fs)) console.log(`${key.padEnd(34)}${f(ops.fs[key])}${f(ops.azure[key])}`);
  console.log(`\n${runs} trivial submissions each, one after another (ms)\n`);
  const g = (n: number | undefined) => f(n).padStart(14);
  console.log(`${'measure'.padEnd(34)}${['fs median', 'azure median', 'fs p95', 'azure p95'].map((h) => h.padStart(14)).join('')}`);
  const row = (name: string, s: Record<string, ReturnType<typeof stats>>) =>
    console.log(`${name.padEnd(34)}${g(s.fs?.median)}${g(s.azure?.median)}${g(s.fs?.p95)}${g(s.azure?.p95)}`);
  row('upload → scored', e2e);
  row('platform overhead (− run wall)', overhead);
} finally {
  await azurite.stop();
}
