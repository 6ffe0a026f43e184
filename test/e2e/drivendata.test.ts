import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHoldout, upload, waitForFinal, zipSubmission, type TestHoldout } from '../helpers/holdout-server.js';

// main.py as DrivenData's runtimes run it, unchanged: the working folder is /code_execution, the
// features are read from ./data, the predictions go to ./submission/submission.csv (written by the
// csv module: CRLF line ends), or to ./submission.csv, which the host's post step copies.
// The "model" is a file beside main.py read by a relative path; a digit's ink decides the label.
const mainPy = (target: string) => `import csv, json
from pathlib import Path

assert Path.cwd() == Path("/code_execution"), Path.cwd()
with open("model.json") as f:
    cut = json.load(f)["cut"]
with open(Path("data") / "test_features.csv", newline="") as f:
    rows = list(csv.DictReader(f))
labels = [int(sum(float(v) for k, v in r.items() if k != "id") > cut) for r in rows]
with open(${JSON.stringify(target)}, "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["id", "label"])
    writer.writerows([r["id"], int(label)] for r, label in zip(rows, labels))
`;

async function submission(target: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdout-drivendata-'));
  await writeFile(path.join(dir, 'model.json'), '{"cut": 300}');
  await writeFile(path.join(dir, 'main.py'), mainPy(target));
  return zipSubmission(dir);
}

/** Rewrites every CSV of a folder tree with CRLF line ends, as files made on Windows are. */
async function crlf(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.csv')) continue;
    const file = path.join(entry.parentPath, entry.name);
    await writeFile(file, (await readFile(file, 'utf8')).replace(/\r?\n/g, '\r\n'));
  }
}

describe('a competition in DrivenData layout', () => {
  let h: TestHoldout;
  before(async () => {
    h = await startHoldout({
      editYaml: (yaml) =>
        yaml.replace(
          'entrypoint: python main.py\n',
          "entrypoint: python main.py\nlayout: drivendata\nharness:\n  command: sh -c 'python3 main.py && if [ -f submission.csv ]; then cp submission.csv submission/; fi'\n  code: writable\n",
        ),
      editBundle: crlf,
    });
  });
  after(() => h.close());

  for (const target of ['submission/submission.csv', 'submission.csv']) {
    it(`scores a main.py that writes ${target} (CRLF) from the working folder`, async () => {
      const token = await h.participant();
      const sent = await upload(h.url, token, 'digits', await submission(target));
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      const done = await waitForFinal(h.url, token, String(sent.body.id));
      assert.equal(done.status, 'scored', JSON.stringify(done));
      assert.equal(typeof done.publicScore, 'number', JSON.stringify(done));
    });
  }
});
