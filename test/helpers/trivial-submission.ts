import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zipFolder } from '../../src/archive/zip-folder.js';

/**
 * A submission.zip for the demo competition that predicts `label` for every test id with the csv
 * module, after sleeping `sleepSeconds` (to be caught mid-run). The least a real submission does;
 * its accuracy is the share of that label in the labels. `preamble`: Python run first (after the imports).
 */
export async function trivialSubmission(opts: { sleepSeconds?: number; label?: number; preamble?: string } = {}): Promise<string> {
  const { sleepSeconds = 0, label = 0, preamble = '' } = opts;
  const dir = await mkdtemp(path.join(tmpdir(), 'holdout-trivial-'));
  const code = path.join(dir, 'code');
  const main = `import csv, os, time
${preamble}
time.sleep(${sleepSeconds})
data = os.environ.get("HOLDOUT_DATA", "/code_execution/data")
out = os.environ.get("HOLDOUT_OUTPUT", "/code_execution/submission")
with open(os.path.join(data, "test_features.csv"), newline="") as f, open(os.path.join(out, "submission.csv"), "w", newline="") as g:
    rows = csv.reader(f)
    next(rows)
    w = csv.writer(g)
    w.writerow(["id", "label"])
    for row in rows:
        w.writerow([row[0], ${label}])
`;
  await mkdir(code);
  await writeFile(path.join(code, 'main.py'), main);
  const zip = path.join(dir, 'submission.zip');
  await zipFolder(code, zip);
  return zip;
}
