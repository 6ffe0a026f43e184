/**
 * A large submission through the resumable upload API: the server's peak RSS, throughput against a
 * plain file copy on the same disk, and a resume after the client is killed half-way.
 * The server is the built one (`npm run build` first), `node dist/cli/main.js serve`, alone in its
 * process, so that its RSS is what a deployment sees.
 * Run: npm run build && node --import tsx bench/upload/upload-bench.ts [GiB=2] [chunk MiB=64]
 * Three rounds of a copy (cp, dd, dd past the page cache) and an upload with the CLI's file reader (1 MiB
 * reads), interleaved; then one with tus-js-client's own reader (64 KiB).
 * (BENCH_SERVER_NODE_FLAGS: node flags for the server process; BENCH_SERVER_PROF / BENCH_CLIENT_PROF: folders for CPU profiles.)
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import * as tus from 'tus-js-client';
import yazl from 'yazl';
import { fileReader } from '../../src/cli/resumable-upload.js';

const role = process.argv[2];
const MiB = 1 << 20;
/** Rounds of copies and uploads, interleaved. */
const ROUNDS = 3;
const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** Node flags for the server: by default those of `npm start` and the Docker image (deploy/Dockerfile). */
const serverFlags = (process.env.BENCH_SERVER_NODE_FLAGS ?? '--max-semi-space-size=2 --heap-growing-percent=150').split(' ').filter(Boolean);

/** `holdout serve --demo` from dist/, no worker; resolves with its URL once it listens. */
async function startServer(dataDir: string): Promise<{ server: ChildProcess; url: string }> {
  const server = spawn(process.execPath, [...serverFlags, ...(process.env.BENCH_SERVER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_PROF}`] : []), path.join(repoRoot, 'dist', 'cli', 'main.js'), 'serve', '--demo', '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, HOLDOUT_DATA_DIR: dataDir, HOLDOUT_WORKERS: '0', HOLDOUT_MAX_UPLOAD_BYTES: String(64 * 1024 * MiB), HOLDOUT_MAX_UNPACKED_BYTES: String(64 * 1024 * MiB), HOLDOUT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /running on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1].replace('localhost', '127.0.0.1'));
    });
    server.once('exit', (code) => reject(new Error(`the server exited (${code}): ${out}`)));
  });
  return { server, url };
}

/** CPU seconds (user + system) a process has used so far: its main thread's, and all its other threads' together. */
async function threadCpu(pid: number): Promise<{ main: number; others: number }> {
  const ticksPerSecond = 100; // USER_HZ, 100 on Linux
  let main = 0;
  let others = 0;
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    // Fields after the command name, which is in parentheses and may hold spaces: utime is the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
    if (Number.isNaN(seconds)) continue;
    if (tid === String(pid)) main += seconds;
    else others += seconds;
  }
  return { main, others };
}

/**
 * Seconds for one PUT of `file` over loopback to a Node HTTP server, in a process of its own as
 * Holdout's is, that only reads the body.
 */
async function bareHttpSink(file: string): Promise<number> {
  const { request } = await import('node:http');
  const script = "const s = require('node:http').createServer((q, r) => q.on('end', () => r.end()).resume()); s.listen(0, '127.0.0.1', () => console.log(s.address().port));";
  const sink = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [portLine] = (await once(sink.stdout!, 'data')) as [Buffer];
  const port = Number(portLine.toString().trim());
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PUT', headers: { 'content-length': String(statSync(file).size) } }, (res) => res.resume().on('end', resolve));
    req.on('error', reject);
    createReadStream(file, { highWaterMark: 1 << 20 }).pipe(req);
  });
  const seconds = (performance.now() - start) / 1000;
  sink.kill();
  await once(sink, 'exit');
  return seconds;
}

if (role === 'client') {
  // One tus-js-client upload; prints progress so the parent can kill it.
  const [, , , file, endpoint, token, chunkMiB, sha256, reader, uploadUrl] = process.argv;
  // Timed from here, in this process, as `cp` is timed from its start: node and tsx loading this
  // file (about half a second, a CPU-second) are not part of the upload.
  const cpuAtStart = process.resourceUsage();
  const startedAt = performance.now();
  const upload = new tus.Upload(createReadStream(file!), {
    endpoint: endpoint!, headers: { authorization: `Bearer ${token}` }, chunkSize: Number(chunkMiB) * MiB, retryDelays: [],
    // The CLI's file reader (1 MiB reads), or tus-js-client's own (64 KiB).
    ...(reader === 'cli' ? { fileReader } : {}),
    // As `holdout submit` sends it: the server checks the whole file against it.
    metadata: { filename: 'submission.zip', sha256: sha256! },
    ...(uploadUrl ? { uploadUrl } : {}),
    onAfterResponse: () => void process.send?.({ url: upload.url }),
    onProgress: (sent, total) => void process.send?.({ sent, total, url: upload.url }),
    onSuccess: () => {
      const seconds = (performance.now() - startedAt) / 1000;
      const { userCPUTime, systemCPUTime } = process.resourceUsage();
      const cpuS = (userCPUTime + systemCPUTime - cpuAtStart.userCPUTime - cpuAtStart.systemCPUTime) / 1e6;
      process.send?.({ done: true, url: upload.url, seconds, cpuS }, () => process.exit(0));
    },
    onError: (e) => { console.error(e.message); process.exit(1); },
  });
  upload.start();
} else {
  const gib = Number(process.argv[2] ?? 2);
  const chunkMiB = Number(process.argv[3] ?? 64);
  const dir = await mkdtemp(path.join(tmpdir(), 'holdout-upload-bench-'));
  const zip = path.join(dir, 'submission.zip');
  // A stored (uncompressed) zip: main.py and a large model of incompressible bytes.
  const z = new yazl.ZipFile();
  z.addBuffer(Buffer.from('print("hi")\n'), 'main.py');
  const block = Buffer.alloc(8 * MiB);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const blocks = Math.round((gib * 1024) / 8);
  const { Readable } = await import('node:stream');
  z.addReadStream(Readable.from((function* () { for (let i = 0; i < blocks; i++) yield block; })()), 'model.bin', { compress: false, size: blocks * block.length });
  z.end();
  await new Promise<void>((r) => z.outputStream.pipe(createWriteStream(zip)).on("close", () => r()));
  const size = (await stat(zip)).size;
  // The CLI hashes the file before it uploads; not part of the upload's time.
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256');
  for await (const c of createReadStream(zip)) hash.update(c as Buffer);
  const sha256 = hash.digest('hex');
  execFileSync('sync');

  const loadBefore = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  // Every write here is timed in the same state of memory: pages the system has not just freed.
  // In a VM whose balloon takes freed memory back (free page reporting, as here), a page freed a
  // moment ago costs a tenth of one reported to the host, so a copy written over the previous one's
  // freed pages was 6x faster than the upload. `settle` removes what the step before wrote, syncs,
  // and waits until the freed pages have been reported (the kernel does it 2 s after, in batches).
  const settle = async (...written: string[]) => {
    for (const file of written) await rm(file, { force: true });
    execFileSync('sync');
    await new Promise((r) => setTimeout(r, 10_000));
  };
  const copyFile = path.join(dir, 'copy.zip');
  /** Seconds of one copy of the zip by `command`: until it ends (the bytes may still be in the page cache, as the upload's are when it is queued), and after a sync. */
  const timedCopy = async (command: string, args: string[]) => {
    await settle(copyFile);
    const start = performance.now();
    execFileSync(command, args);
    const seconds = (performance.now() - start) / 1000;
    execFileSync('sync');
    return { seconds, synced: (performance.now() - start) / 1000 };
  };
  const sinkS = await bareHttpSink(zip);

  const serverDir = path.join(dir, 'server');
  const { server, url } = await startServer(serverDir);
  const session = await fetch(`${url}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bencher', password: 'correct horse battery' }) });
  const { token } = (await session.json()) as { token: string };
  await fetch(`${url}/api/competitions/digits/rules`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const rss = () => readFile(`/proc/${server.pid}/status`, 'utf8').then((s) => ({ now: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1]) / 1024, peak: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1]) / 1024 }));
  const before = await rss();
  // Sampled while the uploads run: VmHWM also counts the start (the demo's install, password hashing).
  let during = 0;
  const sampler = setInterval(() => void rss().then((r) => (during = Math.max(during, r.now)), () => {}), 50);
  const endpoint = `${url}/api/competitions/digits/submissions/uploads`;
  const client = (uploadUrl?: string, reader: 'cli' | 'tus' = 'cli') => fork(import.meta.filename, ['client', zip, endpoint, token, String(chunkMiB), sha256, reader, ...(uploadUrl ? [uploadUrl] : [])], { execArgv: ['--import', 'tsx', ...(process.env.BENCH_CLIENT_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CLIENT_PROF}`] : [])] });
  /** Resolves when the client exits 0, with the seconds and CPU seconds of its upload, as it reported them at its end. */
  const finished = (c: ChildProcess) => new Promise<{ seconds: number; cpuS: number }>((resolve, reject) => {
    let result = { seconds: NaN, cpuS: NaN };
    c.on('message', (m: { done?: boolean; seconds: number; cpuS: number }) => void (m.done && (result = m)));
    c.on('exit', (code) => (code === 0 ? resolve(result) : reject(new Error(`client exited ${code}`))));
  });

  /** One whole upload: its seconds until queued and until on the disk, and the CPU seconds it took. */
  const timedUpload = async (reader: 'cli' | 'tus') => {
    await settle(copyFile);
    const cpuBefore = await threadCpu(server.pid!);
    const { seconds, cpuS } = await finished(client(undefined, reader));
    const cpuAfter = await threadCpu(server.pid!);
    const cpu = { serverMain: cpuAfter.main - cpuBefore.main, serverOthers: cpuAfter.others - cpuBefore.others, client: cpuS };
    const syncStart = performance.now();
    execFileSync('sync');
    return { seconds, synced: seconds + (performance.now() - syncStart) / 1000, cpu };
  };
  // Rounds, each a copy three ways and an upload, so that the machine's drift (the copies' times
  // swing by half between runs here) hits each alike; medians of the rounds.
  // cp copies in the kernel (copy_file_range): no byte passes through a process. dd moves them
  // through one, read() then write(), as any server that receives an upload must; with
  // oflag=direct it writes past the page cache, as the fs store does.
  const rounds: { cp: { seconds: number; synced: number }; dd: number; ddDirect: number; upload: Awaited<ReturnType<typeof timedUpload>> }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const cp = await timedCopy('cp', [zip, copyFile]);
    const dd = (await timedCopy('dd', [`if=${zip}`, `of=${copyFile}`, 'bs=1M', 'status=none'])).seconds;
    const ddDirect = (await timedCopy('dd', [`if=${zip}`, `of=${copyFile}`, 'bs=4M', 'oflag=direct', 'status=none'])).seconds;
    rounds.push({ cp, dd, ddDirect, upload: await timedUpload('cli') });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const copyS = median(rounds.map((r) => r.cp.seconds));
  const copySyncedS = median(rounds.map((r) => r.cp.synced));
  const ddS = median(rounds.map((r) => r.dd));
  const ddDirectS = median(rounds.map((r) => r.ddDirect));
  const uploadS = median(rounds.map((r) => r.upload.seconds));
  const withCliReader = rounds.find((r) => r.upload.seconds === uploadS)!.upload;
  const afterUploads = await rss();
  const withTusReader = await timedUpload('tus');
  await settle();

  // Kill the client at 50 %, then a new client resumes from the server's offset.
  const first = client();
  let uploadUrl = '';
  await new Promise<void>((resolve) => first.on('message', (m: { sent?: number; url?: string }) => {
    if (m.url) uploadUrl = m.url;
    if ((m.sent ?? 0) >= size / 2) { first.kill('SIGKILL'); resolve(); }
  }));
  await once(first, 'exit');
  await new Promise((r) => setTimeout(r, 500));
  const head = await fetch(uploadUrl, { method: 'HEAD', headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' } });
  const kept = Number(head.headers.get('upload-offset'));
  const { seconds: resumeS } = await finished(client(uploadUrl));
  const id = uploadUrl.split('/').pop();
  const sub = (await (await fetch(`${url}/api/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string; zipBytes: number };
  const end = await rss();
  clearInterval(sampler);
  server.kill('SIGTERM');
  await once(server, 'exit');
  await rm(dir, { recursive: true, force: true });

  const mbs = (s: number) => (size / MiB / s).toFixed(0);
  const list = (seconds: number[]) => seconds.map((x) => x.toFixed(1)).join(' / ');
  // The target is in MB (10^6 bytes); the kernel counts KiB.
  const sizes = (mib: number[]) => `${mib.map((x) => x.toFixed(0)).join(' / ')} MiB (${mib.map((x) => ((x * MiB) / 1e6).toFixed(0)).join(' / ')} MB)`;
  const cpuRow = (reader: string, { cpu, seconds }: typeof withCliReader) =>
    `| CPU seconds of that upload (${reader} reader): server main thread / server's other threads (libuv's pool: the writes; V8's: GC) / client | ${cpu.serverMain.toFixed(1)} / ${cpu.serverOthers.toFixed(1)} / ${cpu.client.toFixed(1)} s, of ${(availableParallelism() * seconds).toFixed(1)} s that ${availableParallelism()} cores offer |`;
  const lines = [
    `upload of ${(size / MiB).toFixed(0)} MiB (tus-js-client, ${chunkMiB} MiB chunks, built server${serverFlags.length ? ` run with ${serverFlags.join(' ')}` : ''}, sha256 checked, fs blob store, same disk; load average before: ${loadBefore})`,
    '| measure | value |', '|---|---|',
    `| plain file copy (cp: copy_file_range, in the kernel), median of ${ROUNDS} (${list(rounds.map((r) => r.cp.seconds))} s) | ${copyS.toFixed(1)} s, ${mbs(copyS)} MiB/s |`,
    `| plain file copy through a process (dd bs=1M), median of ${ROUNDS} (${list(rounds.map((r) => r.dd))} s) | ${ddS.toFixed(1)} s, ${mbs(ddS)} MiB/s |`,
    `| the same past the page cache (dd bs=4M oflag=direct), median of ${ROUNDS} (${list(rounds.map((r) => r.ddDirect))} s) | ${ddDirectS.toFixed(1)} s, ${mbs(ddDirectS)} MiB/s |`,
    `| one PUT of the file to a bare Node HTTP server that discards it (no storage, no hashing: the ceiling of an upload over loopback here) | ${sinkS.toFixed(1)} s, ${mbs(sinkS)} MiB/s (${(copyS / sinkS).toFixed(2)}× cp, ${(ddS / sinkS).toFixed(2)}× dd) |`,
    `| upload through the API, until queued (the CLI's file reader: 1 MiB reads), median of ${ROUNDS} (${list(rounds.map((r) => r.upload.seconds))} s) | ${uploadS.toFixed(1)} s, ${mbs(uploadS)} MiB/s (${(copyS / uploadS).toFixed(2)}× cp, ${(ddS / uploadS).toFixed(2)}× dd, ${(ddDirectS / uploadS).toFixed(2)}× dd direct, ${(sinkS / uploadS).toFixed(2)}× the bare server) |`,
    `| throughput of each round's upload against that round's cp | ${rounds.map((r) => (r.cp.seconds / r.upload.seconds).toFixed(2) + '×').join(' / ')} |`,
    `| the same with tus-js-client's own file reader (64 KiB reads), once | ${withTusReader.seconds.toFixed(1)} s, ${mbs(withTusReader.seconds)} MiB/s (${(copyS / withTusReader.seconds).toFixed(2)}× cp, ${(ddS / withTusReader.seconds).toFixed(2)}× dd) |`,
    cpuRow("CLI's", withCliReader),
    cpuRow("tus-js-client's", withTusReader),
    `| on the disk: cp + sync (median of ${list(rounds.map((r) => r.cp.synced))} s) / the median upload + sync | ${copySyncedS.toFixed(1)} s / ${withCliReader.synced.toFixed(1)} s (${(copySyncedS / withCliReader.synced).toFixed(2)}×) |`,
    `| server RSS idle / highest while uploading (sampled every 50 ms) / after | ${sizes([before.now, during, afterUploads.now])} |`,
    `| server VmHWM at idle / at the end (lifetime peaks, start included) | ${sizes([before.peak, end.peak])} |`,
    `| killed at 50 %: bytes the server kept | ${(kept / MiB).toFixed(0)} MiB of ${(size / MiB).toFixed(0)} |`,
    `| resume of the rest | ${resumeS.toFixed(1)} s; submission ${sub.status}, ${sub.zipBytes === size ? 'whole' : 'WRONG SIZE'} |`,
  ];
  console.log(lines.join('\n'));
  await writeFile(path.join(import.meta.dirname, 'last-run.md'), lines.join('\n') + '\n');
}
