import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ensureExampleModel,
  exampleSubmission,
  startHoldout,
  upload,
  waitForFinal,
  zipSubmission,
  type TestHoldout,
} from '../helpers/holdout-server.js';

// A Codabench scoring program as an organiser would bring it: reads input/ref and input/res, writes
// output/scores.json, and knows nothing of Holdout.
const codabenchScorer = `import csv, json, os, sys
input_dir, output_dir = sys.argv[1], sys.argv[2]
def rows(folder):
    (name,) = [n for n in os.listdir(folder) if n.endswith(".csv")]
    with open(os.path.join(folder, name), newline="") as f:
        return {r["id"]: r["label"] for r in csv.DictReader(f)}
ref, res = rows(os.path.join(input_dir, "ref")), rows(os.path.join(input_dir, "res"))
hits = sum(res[i] == label for i, label in ref.items())
with open(os.path.join(output_dir, "scores.json"), "w") as f:
    json.dump({"percent_correct": 100 * hits / len(ref), "rows": len(ref)}, f)
`;

// The scorer's log may print what it read: here a marker stands for a label it leaked.
const crashingScorer = `import os, sys
print("LEAKED-LABEL-MARKER", sorted(os.listdir(os.path.join(sys.argv[1], "ref"))))
raise ValueError("the reference data has no column 'target'")
`;

/** The demo bundle with its built-in metrics replaced by the scoring program `source`. */
function withProgram(source: string) {
  return {
    editYaml: (yaml: string) =>
      yaml.replace(
        /scoring:\n(?: {2}.*\n)+/,
        'scoring:\n  primary: { metric: percent_correct, higher_is_better: true }\n  extra: [rows]\n  split: { column: usage, public: Public, private: Private }\n  program: scorer/\n',
      ),
    editBundle: async (dir: string) => {
      await mkdir(path.join(dir, 'scorer'));
      await writeFile(path.join(dir, 'scorer', 'metadata.yaml'), 'command: python3 $program/score.py $input $output\n');
      await writeFile(path.join(dir, 'scorer', 'score.py'), source);
    },
  };
}

const get = (url: string, token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } });

describe('a competition scored by a Codabench-style scoring program', () => {
  let h: TestHoldout;
  before(async () => {
    ensureExampleModel();
    h = await startHoldout(withProgram(codabenchScorer));
  });
  after(() => h.close());

  it("scores the example submission with the program's metrics on both parts", async () => {
    const token = await h.participant();
    const sent = await upload(h.url, token, 'digits', await zipSubmission(exampleSubmission));
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const done = await waitForFinal(h.url, token, String(sent.body.id));
    assert.equal(done.status, 'scored', JSON.stringify(done));
    const scores = done.publicScores as Record<string, number>;
    assert.ok(scores.percent_correct !== undefined && scores.percent_correct > 90 && scores.percent_correct <= 100, JSON.stringify(scores));
    assert.equal(done.publicScore, scores.percent_correct);
    assert.ok(Number(scores.rows) > 0);

    const host = await get(`${h.url}/api/submissions/${String(done.id)}`, await h.admin());
    const hostView = (await host.json()) as { privateScores: Record<string, number> };
    assert.ok(Number(hostView.privateScores.percent_correct) > 90, JSON.stringify(hostView));
    // Nothing failed, so no scoring log was kept.
    assert.equal((await get(`${h.url}/api/submissions/${String(done.id)}/scoring-log`, await h.admin())).status, 404);
  });
});

describe('a crashing scoring program', () => {
  let h: TestHoldout;
  before(async () => {
    ensureExampleModel();
    h = await startHoldout(withProgram(crashingScorer));
  });
  after(() => h.close());

  it('ends as scoring_error; its log is for the hosts and admins only', async () => {
    const token = await h.participant();
    const sent = await upload(h.url, token, 'digits', await zipSubmission(exampleSubmission));
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const done = await waitForFinal(h.url, token, String(sent.body.id));
    assert.equal(done.status, 'failed', JSON.stringify(done));
    assert.equal(done.reason, 'scoring_error');
    assert.doesNotMatch(String(done.message), /LEAKED-LABEL-MARKER|ValueError|target/);

    const logUrl = `${h.url}/api/submissions/${String(done.id)}/scoring-log`;
    const admin = await h.admin();
    const hostName = `host-${String(done.id).slice(0, 6)}`;
    const hostToken = await h.participant(hostName);
    assert.equal((await fetch(`${h.url}/api/competitions/digits/hosts/${hostName}`, { method: 'PUT', headers: { authorization: `Bearer ${admin}` } })).status, 200);
    for (const reader of [admin, hostToken]) {
      const res = await get(logUrl, reader);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const log = await res.text();
      assert.match(log, /LEAKED-LABEL-MARKER/);
      assert.match(log, /ValueError: the reference data has no column 'target'/);
    }

    // The submitter, another participant and an anonymous caller learn nothing, not even that it exists.
    assert.equal((await get(logUrl, token)).status, 404);
    assert.equal((await get(logUrl, await h.participant())).status, 404);
    assert.equal((await fetch(logUrl)).status, 401);
    assert.equal((await get(`${h.url}/api/submissions/no-such-id/scoring-log`, admin)).status, 404);
  });
});
