/**
 * A large submission through the resumable upload API: the server's peak RSS, throughput against a
 * plain file copy on the same disk, and a resume after the client is killed half-way.
 * Run: node --import tsx bench/upload/upload-bench.ts [GiB=2]
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import * as tus from 'tus-js-client';
import yazl from 'yazl';

const role = process.argv[2];
const MiB = 1 << 20;

if (role === 'server') {
  // The server alone in this process, so that its RSS is what is measured.
  const { startHoldout } = await import('../../test/helpers/holdout-server.js');
  const h = await startHoldout({ config: { workers: 0, maxUploadBytes: 64 * 1024 * MiB, maxUnpackedBytes: 64 * 1024 * MiB, dataDir: process.env.BENCH_DIR } });
  const token = await h.participant();
  await fetch(`${h.url}/api/competitions/digits/rules`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  process.send?.({ url: h.url, token });
} else if (role === 'client') {
  // One tus-js-client upload; prints progress so the parent can kill it.
  const [, , , file, endpoint, token, uploadUrl] = process.argv;
  const upload = new tus.Upload(createReadStream(file!), {
    endpoint: endpoint!, headers: { authorization: `Bearer ${token}` }, chunkSize: 64 * MiB, retryDelays: [],
    ...(uploadUrl ? { uploadUrl } : {}),
    onAfterResponse: () => void process.send?.({ url: upload.url }),
    onProgress: (sent, total) => void process.send?.({ sent, total, url: upload.url }),
    onSuccess: () => process.send?.({ done: true, url: upload.url }, () => process.exit(0)),
    onError: (e) => { console.error(e.message); process.exit(1); },
  });
  upload.start();
} else {
  const gib = Number(process.argv[2] ?? 2);
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
  execFileSync('sync');

  const copyStart = performance.now();
  execFileSync('cp', [zip, path.join(dir, 'copy.zip')]);
  const copyS = (performance.now() - copyStart) / 1000;
  await rm(path.join(dir, 'copy.zip'));

  const serverDir = path.join(dir, 'server');
  const server = fork(import.meta.filename, ['server'], { env: { ...process.env, BENCH_DIR: serverDir }, execArgv: ['--import', 'tsx'] });
  const { url, token } = (await once(server, 'message'))[0] as { url: string; token: string };
  const rss = () => readFile(`/proc/${server.pid}/status`, 'utf8').then((s) => ({ now: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1]) / 1024, peak: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1]) / 1024 }));
  const before = await rss();
  const endpoint = `${url}/api/competitions/digits/submissions/uploads`;
  const client = (uploadUrl?: string) => fork(import.meta.filename, ['client', zip, endpoint, token, ...(uploadUrl ? [uploadUrl] : [])], { execArgv: ['--import', 'tsx'] });
  const finished = (c: ChildProcess) => new Promise<void>((resolve, reject) => c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`client exited ${code}`)))));

  const t0 = performance.now();
  await finished(client());
  const uploadS = (performance.now() - t0) / 1000;
  const afterOne = await rss();

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
  const t1 = performance.now();
  await finished(client(uploadUrl));
  const resumeS = (performance.now() - t1) / 1000;
  const id = uploadUrl.split('/').pop();
  const sub = (await (await fetch(`${url}/api/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string; zipBytes: number };
  const end = await rss();
  server.kill('SIGTERM');
  await once(server, 'exit');
  await rm(dir, { recursive: true, force: true });

  const mbs = (s: number) => (size / MiB / s).toFixed(0);
  const lines = [
    `upload of ${(size / MiB).toFixed(0)} MiB (tus-js-client, 64 MiB chunks, fs blob store, same disk)`,
    '| measure | value |', '|---|---|',
    `| plain file copy (cp) | ${copyS.toFixed(1)} s, ${mbs(copyS)} MiB/s |`,
    `| upload through the API | ${uploadS.toFixed(1)} s, ${mbs(uploadS)} MiB/s (${(copyS / uploadS).toFixed(2)}× the copy) |`,
    `| server RSS idle / after upload / peak (VmHWM) | ${before.now.toFixed(0)} / ${afterOne.now.toFixed(0)} / ${end.peak.toFixed(0)} MiB |`,
    `| killed at 50 %: bytes the server kept | ${(kept / MiB).toFixed(0)} MiB of ${(size / MiB).toFixed(0)} |`,
    `| resume of the rest | ${resumeS.toFixed(1)} s; submission ${sub.status}, ${sub.zipBytes === size ? 'whole' : 'WRONG SIZE'} |`,
  ];
  console.log(lines.join('\n'));
  await writeFile(path.join(import.meta.dirname, 'last-run.md'), lines.join('\n') + '\n');
}
