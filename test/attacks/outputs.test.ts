import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { outputBytes, reportOf, startBench, type AttackBench, type SubmissionView } from './attack-harness.js';

/**
 * Each hostile predictions file and what the participant must read about it. These are full runs,
 * whose logs are withheld by default: values the run wrote (ids here) are withheld from the
 * message too ("…"), since they could carry test features; column names and NaN/inf are shown.
 */
const cases: [mode: string, message: RegExp][] = [
  ['none', /^no predictions file: the program must write submission\.csv to the output folder \(\/code_execution\/submission\)/],
  ['empty', /^submission\.csv is empty/],
  ['sparse-5g', /^submission\.csv is 4\.66 GiB \(5000000000 bytes\), more than the 8 MiB \(8388608 bytes\) limit/],
  ['dense-5g', /^line 541: id "…" is not in the submission format/],
  ['binary', /^submission\.csv is not UTF-8 text: byte 0x[0-9a-f]{2} on line 1/],
  ['nul-bytes', /^submission\.csv is not UTF-8 text: a NUL byte on line 2/],
  ['wrong-ids', /^line 2: id "…" is not in the submission format/],
  ['nan', /^line 7, column "label": "NaN" is not a finite number/],
  ['infinity', /^line 2, column "label": "inf" is not a finite number/],
  ['missing-row', /^1 of the 539 ids of the submission format are missing from submission\.csv, e\.g\. "…"/],
  ['duplicate-id', /id "…" appears again \(first on line 2\)/],
  ['symlink-to-data', /^submission\.csv is a symbolic link/],
  ['symlink-to-host', /^submission\.csv is a symbolic link/],
  ['fifo', /^submission\.csv is a named pipe/],
  ['directory', /^submission\.csv is a directory/],
];

describe('attack: outputs', () => {
  let b: AttackBench;
  const finals = new Map<string, Promise<{ id: string; view: SubmissionView }>>();

  before(async () => {
    b = await startBench();
    for (const [mode] of cases) {
      const id = await b.submit('outputs', { settings: { mode } });
      const done = b.final(id).then((view) => ({ id, view }));
      done.catch(() => undefined); // awaited by its test
      finals.set(mode, done);
    }
  });
  after(() => b.close());

  for (const [mode, message] of cases) {
    it(`ends "${mode}" as invalid_output, naming the problem`, async () => {
      const { view } = await (finals.get(mode) ?? Promise.reject(new Error(mode)));
      assert.equal(view.status, 'failed', JSON.stringify(view));
      assert.equal(view.reason, 'invalid_output', JSON.stringify(view));
      assert.match(String(view.message), message);
    });
  }

  it('never holds more than the output quota on disk, however large the file claims to be', async () => {
    const sparse = await finals.get('sparse-5g');
    const dense = await finals.get('dense-5g');
    assert.ok(sparse && dense);
    const sparseReport = reportOf(await b.storedLog(sparse.id));
    assert.ok(Number(sparseReport.blocks_used) <= outputBytes, `sparse file uses ${String(sparseReport.blocks_used)} bytes`);
    const denseReport = reportOf(await b.storedLog(dense.id));
    assert.equal(denseReport.stopped_by, 'No space left on device');
    assert.ok(Number(denseReport.size) <= outputBytes, `dense file is ${String(denseReport.size)} bytes`);
  });
});

describe('attack: a symbolic link where the predictions folder should be', () => {
  let b: AttackBench;
  let hostDir: string;
  const canary = `HOLDOUT-HOST-FILE-${randomUUID()}`;

  before(async () => {
    // A host folder holding a file of the predictions file's name: the worker must never read it.
    hostDir = await mkdtemp(path.join(tmpdir(), 'holdout-host-'));
    await writeFile(path.join(hostDir, 'submission.csv'), `id,label\n${canary},0\n`);
    b = await startBench({
      editBundle: async (dir) => {
        const yaml = path.join(dir, 'competition.yaml');
        await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('predictions_file: submission.csv', 'predictions_file: preds/submission.csv'));
      },
    });
  });
  after(async () => {
    await b.close();
    await rm(hostDir, { recursive: true, force: true });
  });

  it('is refused as invalid_output; the host file behind the link is never read', async () => {
    const id = await b.submit('output-escape', { settings: { host_dir: hostDir } });
    const view = await b.final(id);
    assert.equal(reportOf(await b.storedLog(id)).link_preds !== undefined, true);
    assert.equal(view.status, 'failed', JSON.stringify(view));
    assert.equal(view.reason, 'invalid_output');
    assert.equal(view.message, '"preds" in the output folder is a symbolic link; write preds/submission.csv into a real folder');
    assert.equal(JSON.stringify(view).includes(canary), false, 'the host file was quoted back');
  });
});

