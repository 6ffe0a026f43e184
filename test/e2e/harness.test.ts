import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJson, startHoldout, upload, waitForFinal, zipSubmission, type TestHoldout } from '../helpers/holdout-server.js';

// A host's harness as a Codabench ingestion program is written: it imports the participant's
// model class, calls it once per row under the competition's per-call deadline, writes the outputs.
const ingest = `import csv
import holdout_harness as hh

Model = hh.import_code("model").Model
model = hh.call(Model)
with open(hh.OUTPUT / "submission.csv", "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["id", "label"])
    for path in sorted(hh.DATA.glob("*.csv")):
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                writer.writerow([row["id"], hh.call(model.predict, row)])
print("HARNESS-SECRET-MARKER done")
`;

// The participant's side: a class, no main.py. It checks that it can change neither the harness nor itself.
const modelPy = (predictBody: string) => `import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

class Model:
    def __init__(self):
        for target in ["/holdout/harness/ingest.py", "/holdout/harness/holdout_harness.py", str(HERE / "model.py")]:
            try:
                with open(target, "a") as f:
                    f.write("# changed")
            except OSError:
                continue
            raise SystemExit("the submission could write " + target)
        with open(HERE / "model.json") as f:
            self.cut = json.load(f)["cut"]

    def predict(self, row):
${predictBody}
        return int(sum(float(v) for k, v in row.items() if k != "id") > self.cut)
`;

async function submissionFolder(predictBody: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdout-harness-sub-'));
  await writeFile(path.join(dir, 'model.json'), '{"cut": 300}');
  await writeFile(path.join(dir, 'model.py'), modelPy(predictBody));
  return dir;
}

/** The demo competition with `ingest` as its harness. */
const withHarness = {
  editYaml: (yaml: string) =>
    yaml.replace('entrypoint: python main.py\n', 'entrypoint: python3 model.py\nharness:\n  files: harness/\n  command: python3 $harness/ingest.py\n  call_timeout: 2s\n'),
  editBundle: async (dir: string) => {
    await mkdir(path.join(dir, 'harness'));
    await writeFile(path.join(dir, 'harness', 'ingest.py'), ingest);
  },
};

describe('a competition whose runs a host harness drives', () => {
  let h: TestHoldout;
  before(async () => {
    h = await startHoldout(withHarness);
  });
  after(() => h.close());

  it("imports the participant's model class from read-only code and scores what the harness wrote", async () => {
    const token = await h.participant();
    const sent = await upload(h.url, token, 'digits', await zipSubmission(await submissionFolder('        pass')));
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const done = await waitForFinal(h.url, token, String(sent.body.id));
    assert.equal(done.status, 'scored', JSON.stringify(done));
    assert.equal(typeof done.publicScore, 'number', JSON.stringify(done));
  });

  it('stops a run whose predict() passes the per-call deadline, and says so', async () => {
    const token = await h.participant();
    const slow = '        import time\n        if row["id"] == self.__dict__.setdefault("first", row["id"]):\n            time.sleep(30)';
    const sent = await upload(h.url, token, 'digits', await zipSubmission(await submissionFolder(slow)));
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const started = Date.now();
    const done = await waitForFinal(h.url, token, String(sent.body.id));
    assert.equal(done.status, 'failed', JSON.stringify(done));
    assert.equal(done.reason, 'timeout');
    assert.match(String(done.message), /per-call limit of 2 s/);
    assert.ok(Date.now() - started < 25_000, 'the deadline, not the wall time, ended the run');
  });

  it("never serves the harness's files and keeps them out of the local test kit", async () => {
    const { body } = (await getJson(`${h.url}/api/competitions/digits`)) as { body: { files: { path: string }[]; localTest: { drivenByHarness?: boolean } } };
    assert.ok(!body.files.some((f) => f.path.startsWith('harness')), JSON.stringify(body.files));
    assert.equal(body.localTest.drivenByHarness, true);
    assert.doesNotMatch(JSON.stringify(body), /ingest\.py|HARNESS-SECRET-MARKER/);
    assert.equal((await fetch(`${h.url}/api/competitions/digits/files/harness/ingest.py`)).status, 404);
  });
});

describe('an HTTP worker whose executor cannot mount a harness (kubernetes)', () => {
  let h: TestHoldout;
  before(async () => {
    h = await startHoldout({ ...withHarness, config: { workers: 0 } });
  });
  after(() => h.close());

  it('claims nothing of a harness competition with harness: false, and the submission waits for a worker that can', async () => {
    const admin = await h.admin();
    const created = await fetch(`${h.url}/api/worker-tokens`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'pods', competitions: ['digits'] }) });
    assert.equal(created.status, 201, await created.clone().text());
    const { token: workerToken } = (await created.json()) as { token: string };
    const sent = await upload(h.url, await h.participant(), 'digits', await zipSubmission(await submissionFolder('        pass')));
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const claim = async (body: Record<string, unknown>) => {
      const res = await fetch(`${h.url}/api/worker/claim`, { method: 'POST', headers: { authorization: `Bearer ${workerToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ workerId: 'w', leaseMs: 5000, ...body }) });
      assert.equal(res.status, 200);
      return ((await res.json()) as { submission: { id: string } | null }).submission;
    };
    assert.equal(await claim({ harness: false }), null);
    assert.equal((await h.ctx.submissions.get(String(sent.body.id)))?.status, 'queued');
    assert.equal((await claim({}))?.id, sent.body.id);
  });
});

// A Codabench ingestion program unchanged: every path hard-coded under /app, no Holdout helper.
const codabenchIngestion = `import csv, glob, os, sys
sys.path.append("/app/ingested_program")
from model import Model
assert os.path.samefile("/app/program", "/app/ingestion_program")
model = Model()
open("/app/shared/progress.txt", "w").write("started")
with open("/app/output/submission.csv", "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["id", "label"])
    for path in sorted(glob.glob("/app/input_data/*.csv")):
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                writer.writerow([row["id"], model.predict(row)])
`;

describe('a Codabench ingestion program that hard-codes /app paths, as a harness', () => {
  let h: TestHoldout;
  before(async () => {
    h = await startHoldout({
      editYaml: (yaml) => yaml.replace('entrypoint: python main.py\n', 'entrypoint: python3 model.py\nharness:\n  files: ingestion_program/\n  command: python3 /app/program/ingestion.py\n'),
      editBundle: async (dir) => {
        await mkdir(path.join(dir, 'ingestion_program'));
        await writeFile(path.join(dir, 'ingestion_program', 'ingestion.py'), codabenchIngestion);
      },
    });
  });
  after(() => h.close());

  it('runs unchanged: /app/program, /app/ingested_program, /app/input_data, /app/output and /app/shared are there', async () => {
    const token = await h.participant();
    const sent = await upload(h.url, token, 'digits', await zipSubmission(await submissionFolder('        pass')));
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const done = await waitForFinal(h.url, token, String(sent.body.id));
    assert.equal(done.status, 'scored', JSON.stringify(done));
    assert.equal(typeof done.publicScore, 'number');
  });
});
