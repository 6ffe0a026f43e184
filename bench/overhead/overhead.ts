/**
 * Platform overhead per submission: upload → scored, for a trivial submission, against the time of
 * starting the same Python program bare. Everything runs in one process on this machine: a real
 * server, the in-process worker, SQLite, the fs blob store and the sandbox executor.
 *
 *   npm run bench:overhead [-- --runs 50]
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { zipFolder } from '../../src/archive/zip-folder.js';
import { demoBundle, startHoldout } from '../../test/helpers/holdout-server.js';
import { stats, timeSubmissions } from '../submission-timings.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '50' } } });
const runs = Number(values.runs);

// Reads the ids and predicts one class: the least a real submission does.
const trivialMain = `import csv, os
data = os.environ.get("HOLDOUT_DATA", "/code_execution/data")
out = os.environ.get("HOLDOUT_OUTPUT", "/code_execution/submission")
with open(os.path.join(data, "test_features.csv")) as f, open(os.path.join(out, "submission.csv"), "w") as g:
    r = csv.reader(f); next(r); g.write("id,label\\n")
    for row in r: g.write(row[0] + ",0\\n")
`;

const codeDir = await mkdtemp(path.join(tmpdir(), 'holdout-bench-'));
await writeFile(path.join(codeDir, 'main.py'), trivialMain);
const zip = path.join(codeDir, '..', `${path.basename(codeDir)}.zip`);
await zipFolder(codeDir, zip);

// Bare: the same program, same data, no platform, no sandbox.
const bareOut = await mkdtemp(path.join(tmpdir(), 'holdout-bench-out-'));
const env = { HOLDOUT_DATA: path.join(demoBundle, 'test', 'features'), HOLDOUT_OUTPUT: bareOut, PATH: '/usr/bin:/bin' };
const bare: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const r = spawnSync('/usr/bin/python3', ['main.py'], { cwd: codeDir, env });
  bare.push(performance.now() - t);
  if (r.status !== 0) throw new Error(`bare run failed: ${r.stderr.toString()}`);
}

const h = await startHoldout({ config: { logLevel: 'silent' }, editYaml: (y) => y.replace(/daily_quota: \d+/, `daily_quota: ${runs + 5}`) });
const token = await h.participant('bench');
const timings = await timeSubmissions(h, token, zip, runs);
const endToEnd = timings.map((t) => t.endToEnd);
const accepted = timings.map((t) => t.accepted);
const runWall = timings.map((t) => t.runWall);
await h.close();

const bareS = stats(bare);
const e2eS = stats(endToEnd);
const runS = stats(runWall);
const overheadVsRun = stats(endToEnd.map((e, i) => e - (runWall[i] ?? 0)));
const f = (n: number) => n.toFixed(1).padStart(9);
console.log(`\nHoldout overhead, ${runs} trivial submissions, one after another (ms)\n`);
console.log(`${'measure'.padEnd(62)}${'median'.padStart(9)}${'p95'.padStart(9)}${'min'.padStart(9)}`);
const row = (name: string, s: { median: number; p95: number; min: number }) => console.log(`${name.padEnd(62)}${f(s.median)}${f(s.p95)}${f(s.min)}`);
row('bare python3 main.py (spawn to exit)', bareS);
row('sandboxed run (executor wall: bwrap+cgroups+python)', runS);
row('upload → 201 queued (HTTP, multipart, unzip check, blob, DB)', stats(accepted));
row('upload → scored (HTTP, blob, DB, unzip, run, score)', e2eS);
row('platform overhead = upload→scored − run wall', overheadVsRun);
console.log(`\nplatform overhead beyond a bare python start (median): ${(e2eS.median - bareS.median).toFixed(1)} ms`);
