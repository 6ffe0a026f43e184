/**
 * How the fs store writes an upload's body, side by side: one PUT over loopback into a file, by a
 * server in a process of its own, four ways, interleaved round by round (the machine's noise hits
 * each alike); before each, the last one's file is removed and its freed pages given 10 s to be
 * reported to the host (see upload-bench.ts). sha256 as the upload hashes it.
 *   - a default write stream (16 KiB high-water mark: one write per socket chunk);
 *   - a write stream with 1 MiB (the fs store before writeBatched);
 *   - writeBatched through the page cache (4 MiB batches, one in flight);
 *   - writeBatched with direct I/O past the first batch (the fs store now).
 * Run: node --import tsx bench/upload/write-paths-bench.ts [GiB=1] [rounds=3]
 */
import { execFileSync, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { request, createServer } from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { writeBatched } from '../../src/storage/fs/batched-write.js';

const ways = ['write stream, 16 KiB', 'write stream, 1 MiB', 'writeBatched, page cache', 'writeBatched, direct I/O'] as const;
type Way = (typeof ways)[number];

if (process.argv[2] === 'server') {
  const [, , , way, target] = process.argv as [string, string, string, Way, string];
  const server = createServer((req, res) => {
    const hash = createHash('sha256');
    const hashing = new Transform({ transform: (c: Buffer, _e, done) => done(null, hash.update(c) && c) });
    const body = req.pipe(hashing);
    const written = way.startsWith('writeBatched')
      ? open(target, 'w').then((h) => writeBatched(h, 0, body, { direct: way === 'writeBatched, direct I/O' }).finally(() => h.close()))
      : pipeline(body, createWriteStream(target, way === 'write stream, 1 MiB' ? { highWaterMark: 1 << 20 } : {}));
    void written.then(() => res.end(hash.digest('hex')));
  });
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as { port: number }).port));
} else {
  const gib = Number(process.argv[2] ?? 1);
  const rounds = Number(process.argv[3] ?? 3);
  const dir = await mkdtemp(path.join(tmpdir(), 'holdout-write-paths-'));
  const source = path.join(dir, 'source.bin');
  const block = Buffer.alloc(8 << 20);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const out = createWriteStream(source);
  for (let i = 0; i < gib * 128; i++) if (!out.write(block)) await once(out, 'drain');
  out.end();
  await once(out, 'close');
  const bytes = gib * 1024 * (1 << 20);

  const upload = async (way: Way): Promise<number> => {
    const target = path.join(dir, 'target.bin');
    execFileSync('sync');
    await new Promise((r) => setTimeout(r, 10_000));
    const server = fork(import.meta.filename, ['server', way, target], { execArgv: ['--import', 'tsx'] });
    const [port] = (await once(server, 'message')) as [number];
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', headers: { 'content-length': String(bytes) } }, (res) => res.resume().on('end', resolve));
      req.on('error', reject);
      createReadStream(source, { highWaterMark: 1 << 20 }).pipe(req);
    });
    const seconds = (performance.now() - start) / 1000;
    server.kill();
    await once(server, 'exit');
    await rm(target);
    return seconds;
  };
  const times = new Map<Way, number[]>(ways.map((w) => [w, []]));
  for (let r = 0; r < rounds; r++) for (const way of ways) times.get(way)!.push(await upload(way));
  await rm(dir, { recursive: true, force: true });

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(times.get('write stream, 1 MiB')!);
  console.log(`${gib} GiB PUT over loopback into a file, sha256 on the way, median of ${rounds} rounds`);
  console.log('| how the body is written | runs (s) | median | MiB/s | vs 1 MiB write stream |');
  console.log('|---|---|---|---|---|');
  for (const way of ways) {
    const m = median(times.get(way)!);
    console.log(`| ${way} | ${times.get(way)!.map((t) => t.toFixed(2)).join(' / ')} | ${m.toFixed(2)} s | ${(gib * 1024 / m).toFixed(0)} | ${(base / m).toFixed(2)}× |`);
  }
}
