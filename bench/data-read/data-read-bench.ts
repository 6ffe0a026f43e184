/**
 * Reading test features inside a run vs on the host, in one run of this script: a sequential read
 * of one large file (cold and warm page cache) and a read of many small files, from the host's
 * disk (ext4), from the mounted data image on the host, and from inside a sandbox run that binds
 * the mounted image; then the time a fresh worker takes before a new competition's first run can
 * read its features: the data image (fetch, check, mount) against the file-by-file bundle copy.
 *
 *   npm run bench:data-read [-- --big-mib 2048 --small-files 100000 --small-kib 10]
 *
 * Cold: the page cache is dropped (`echo 3 > /proc/sys/vm/drop_caches`, root) before each cold
 * read; where that is refused the table says so and shows only warm reads.
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createReadStream } from 'node:fs';
import { DataImageCache } from '../../src/data-images/image-cache.js';
import { publishDataImages } from '../../src/data-images/publish-images.js';
import { defaultLayout } from '../../src/domain/limits.js';
import { createExecutor } from '../../src/executors/create-executor.js';
import { FsBlobStore } from '../../src/storage/fs/fs-blob-store.js';
import { BundleCache } from '../../src/worker/bundle-cache.js';
import { bundleManifest, digestOfManifest } from '../../src/bundle/bundle-digest.js';

const { values } = parseArgs({ options: { 'big-mib': { type: 'string', default: '2048' }, 'small-files': { type: 'string', default: '100000' }, 'small-kib': { type: 'string', default: '10' }, work: { type: 'string' } } });
const bigMiB = Number(values['big-mib']);
const smallFiles = Number(values['small-files']);
const smallKiB = Number(values['small-kib']);
const work = await mkdtemp(path.join(values.work ?? tmpdir(), 'holdout-data-read-'));
const t0 = performance.now();
const since = (t: number) => performance.now() - t;

// The dataset: test/features/big.bin and test/features/small/<i>.bin (100 per folder).
const bundle = path.join(work, 'bundle');
const features = path.join(bundle, 'test', 'features');
await mkdir(path.join(features, 'small'), { recursive: true });
const chunk = Buffer.alloc(16 << 20);
const fd = openSync(path.join(features, 'big.bin'), 'w');
for (let left = bigMiB * 2 ** 20; left > 0; left -= chunk.length) writeSync(fd, randomFillSync(chunk), 0, Math.min(left, chunk.length));
closeSync(fd);
const small = Buffer.alloc(smallKiB << 10);
const files = ['test/features/big.bin'];
for (let i = 0; i < smallFiles; i++) {
  const rel = `test/features/small/${Math.floor(i / 100)}/${i}.bin`;
  if (i % 100 === 0) await mkdir(path.join(bundle, path.dirname(rel)), { recursive: true });
  await writeFile(path.join(bundle, rel), randomFillSync(small));
  files.push(rel);
}
console.error(`dataset made in ${(since(t0) / 1000).toFixed(1)} s`);

// Install: pack and publish the image (the manifest, each file's sha256, install computes anyway).
const blobs = new FsBlobStore(path.join(work, 'blobs'));
const manifest = await bundleManifest(bundle, files);
let t = performance.now();
const images = (await publishDataImages({ root: bundle, manifest, config: { data: { testFeatures: 'test/features/' } } }, blobs, work))!;
if (!images) throw new Error('mkfs.erofs is missing: apt-get install erofs-utils');
const packMs = since(t);

// Time to first data on a fresh worker: image (fetch + check + mount) vs the file-by-file copy.
await dropCaches();
t = performance.now();
const cache = new DataImageCache(blobs, path.join(work, 'cache', 'images'));
const mounted = await cache.get(images.test);
const imageFirstMs = since(t);
const prefix = 'bundles/bench/1';
for (const rel of files) await blobs.put(`${prefix}/files/${rel}`, createReadStream(path.join(bundle, rel)));
await blobs.put(`${prefix}/.complete`, Readable.from(['']));
const digest = digestOfManifest(manifest);
await dropCaches();
t = performance.now();
const copied = await new BundleCache(blobs, path.join(work, 'cache', 'bundles')).get(prefix, digest);
const copyFirstMs = since(t);

// The reader: the same Python program everywhere, timing only its reads.
const code = path.join(work, 'code');
await mkdir(code);
await writeFile(path.join(code, 'main.py'), `import os, sys, time
root = os.environ.get("HOLDOUT_DATA", "/code_execution/data")
mode = os.environ["MODE"]
t = time.perf_counter(); n = 0
if mode == "seq":
    with open(os.path.join(root, "big.bin"), "rb", buffering=0) as f:
        while True:
            b = f.read(1 << 20)
            if not b: break
            n += len(b)
else:
    for d, _, names in os.walk(os.path.join(root, "small")):
        for name in names:
            with open(os.path.join(d, name), "rb") as f: n += len(f.read())
print("RESULT", n, time.perf_counter() - t, flush=True)
`);
const sandbox = createExecutor({ kind: 'sandbox', runtimesDir: path.join(work, 'runtimes') });
await sandbox.check();

async function readOnHost(dir: string, mode: string): Promise<number> {
  const r = spawnSync('/usr/bin/python3', [path.join(code, 'main.py')], { env: { HOLDOUT_DATA: dir, MODE: mode, PATH: '/usr/bin:/bin' } });
  return parseResult(r.stdout.toString(), `host read of ${dir}: ${r.stderr.toString()}`);
}
let runs = 0;
async function readInRun(dir: string, mode: string): Promise<number> {
  const logPath = path.join(work, `run-${++runs}.log`);
  const result = await sandbox.run({
    runId: `bench-data-${runs}`,
    runtime: 'host',
    command: ['/usr/bin/python3', 'main.py'],
    codeDir: code,
    dataDir: dir,
    layout: defaultLayout,
    limits: { wallTimeMs: 600_000, memoryBytes: 4 * 2 ** 30, cpus: 1, pids: 64, outputBytes: 1 << 20, logBytes: 1 << 20, gpus: 0 },
    env: { MODE: mode, HOLDOUT_DATA: defaultLayout.data },
    logPath,
  });
  await result.dispose();
  return parseResult(await readFile(logPath, 'utf8'), `run ended ${result.outcome} ${result.exitCode}`);
}
function parseResult(out: string, what: string): number {
  const m = /RESULT (\d+) ([\d.e-]+)/.exec(out);
  if (!m) throw new Error(`${what}\n${out}`);
  return Number(m[1]) / (1 << 20) / Number(m[2]);
}

let canDrop = true;
async function dropCaches(): Promise<void> {
  try {
    spawnSync('sync');
    await writeFile('/proc/sys/vm/drop_caches', '3');
  } catch {
    canDrop = false;
  }
}

const where: Record<string, { dir: string; read: (dir: string, mode: string) => Promise<number> }> = {
  'host, ext4 (the copied files)': { dir: path.join(copied, 'test', 'features'), read: readOnHost },
  'host, mounted erofs image': { dir: mounted, read: readOnHost },
  'sandbox run, copied files bound': { dir: path.join(copied, 'test', 'features'), read: readInRun },
  'sandbox run, erofs image bound': { dir: mounted, read: readInRun },
};
const table: string[][] = [];
for (const [name, { dir, read }] of Object.entries(where)) {
  await dropCaches();
  const cold = canDrop ? await read(dir, 'seq') : NaN;
  const warm = Math.max(await read(dir, 'seq'), await read(dir, 'seq'));
  await dropCaches();
  const smallCold = canDrop ? await read(dir, 'small') : NaN;
  const smallWarm = Math.max(await read(dir, 'small'), await read(dir, 'small'));
  table.push([name, cold, warm, smallCold, smallWarm].map((v) => (typeof v === 'number' ? (Number.isNaN(v) ? 'n/a' : v.toFixed(0)) : v)));
}
await cache.close();

const gib = (bigMiB / 1024).toFixed(1);
console.log(`\nReading test features: ${gib} GiB file, ${smallFiles} files of ${smallKiB} KiB (MB/s, best of 2 warm)${canDrop ? '' : ' — cold reads n/a: drop_caches refused'}\n`);
console.log(`${'where'.padEnd(36)}${'seq cold'.padStart(10)}${'seq warm'.padStart(10)}${'small cold'.padStart(12)}${'small warm'.padStart(12)}`);
for (const [name, ...v] of table) console.log(`${name!.padEnd(36)}${v[0]!.padStart(10)}${v[1]!.padStart(10)}${v[2]!.padStart(12)}${v[3]!.padStart(12)}`);
const hostWarm = Number(table[1]![2]);
const runWarm = Number(table[3]![2]);
console.log(`\nsandbox run / host, erofs image, warm sequential: ${(runWarm / hostWarm).toFixed(2)}×; small files: ${(Number(table[3]![4]) / Number(table[1]![4])).toFixed(2)}×`);
console.log(`\nInstall: pack + publish the image (${(images.test.bytes / 2 ** 30).toFixed(2)} GiB erofs, uncompressed): ${(packMs / 1000).toFixed(1)} s`);
console.log(`Fresh worker, new competition, until a run can read the features (cold cache, fs blob store):`);
console.log(`  data image: fetch (parallel ranges) + sha256 + mount   ${(imageFirstMs / 1000).toFixed(1).padStart(7)} s`);
console.log(`  file-by-file bundle copy (before data images)           ${(copyFirstMs / 1000).toFixed(1).padStart(7)} s`);
await rm(work, { recursive: true, force: true });
