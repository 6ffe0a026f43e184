import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHoldout, type TestHoldout } from '../helpers/holdout-server.js';
import { CliUser, show } from './cli-harness.js';

// A competition as an imported Codabench bundle often is: no smoke sample, its own id column and
// predictions file. `holdout init` must still scaffold its format, from the bundle or the server.
async function withoutSmoke(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.csv')) continue;
    const file = path.join(entry.parentPath, entry.name);
    await writeFile(file, (await readFile(file, 'utf8')).replace(/^id,/, 'sample_id,'));
  }
}
const editYaml = (yaml: string) =>
  yaml
    .replace(/  smoke:\n(?: {4}.*\n)+/, '')
    .replace('id_column: id', 'id_column: sample_id')
    .replace('predictions_file: submission.csv', 'predictions_file: preds/answer.csv')
    .replace("entrypoint: python main.py", "entrypoint: sh -c 'python3 main.py'");

describe('holdout init for a competition without a smoke sample', () => {
  let h: TestHoldout;
  let user: CliUser;
  before(async () => {
    h = await startHoldout({ editYaml, editBundle: withoutSmoke });
    user = await CliUser.create();
  });
  after(() => h.close());

  it("takes the id column, columns and predictions file from the bundle folder and from the server", async () => {
    for (const source of [path.join(h.dataDir, 'bundle'), 'digits']) {
      const dir = path.join(user.home, `scaffold-${source === 'digits' ? 'server' : 'bundle'}`);
      const init = await user.run(['--server', h.url, 'init', '--competition', source, dir]);
      assert.equal(init.code, 0, show(init));
      const main = await readFile(path.join(dir, 'main.py'), 'utf8');
      assert.match(main, /ID_COLUMN = "sample_id"/, source);
      assert.match(main, /COLUMNS = \["label"\]/, source);
      assert.match(main, /PREDICTIONS_FILE = "preds\/answer.csv"/, source);
      assert.match(main, /runs `sh -c 'python3 main.py'`/, source);
    }
  });
});
