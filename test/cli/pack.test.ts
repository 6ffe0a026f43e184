import assert from 'node:assert/strict';
import { access, cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspectZip } from '../../src/archive/safe-unzip.js';
import { ensureExampleModel, exampleSubmission } from '../helpers/holdout-server.js';
import { CliUser, lastLine, show } from './cli-harness.js';

describe('holdout pack', () => {
  let user: CliUser;
  let folder: string;
  before(async () => {
    ensureExampleModel();
    user = await CliUser.create();
    // The example submission, plus everything a real folder collects that must not be shipped.
    folder = path.join(user.home, 'my-submission');
    await cp(exampleSubmission, folder, { recursive: true });
    await mkdir(path.join(folder, '__pycache__'));
    await writeFile(path.join(folder, '__pycache__', 'main.cpython-311.pyc'), 'bytecode');
    await mkdir(path.join(folder, '.ipynb_checkpoints'));
    await writeFile(path.join(folder, '.ipynb_checkpoints', 'notes-checkpoint.ipynb'), '{}');
    await mkdir(path.join(folder, '.git', 'objects'), { recursive: true });
    await writeFile(path.join(folder, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await mkdir(path.join(folder, '.venv', 'lib'), { recursive: true });
    await writeFile(path.join(folder, '.venv', 'pyvenv.cfg'), 'home = /usr/bin\n');
    await writeFile(path.join(folder, '.venv', 'lib', 'big.so'), 'x'.repeat(1000));
    await mkdir(path.join(folder, 'utils'));
    await writeFile(path.join(folder, 'utils', 'features.py'), 'def f(x):\n    return x\n');
    await symlink('/etc/passwd', path.join(folder, 'passwd-link'));
  });
  after(() => user.cleanup());

  it('zips the folder, skipping caches, version control, virtual envs and links with a note each', async () => {
    const run = await user.run(['pack', folder, '-o', 'submission.zip']);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^wrote submission\.zip: 5 files, .* unpacked, .* zipped$/m);
    for (const note of [
      /skipped __pycache__\/ \(Python bytecode cache\)/,
      /skipped \.ipynb_checkpoints\/ \(Jupyter checkpoints\)/,
      /skipped \.git\/ \(version control\)/,
      /skipped \.venv\/ \(virtual environment; the runtime provides the packages\)/,
      /skipped passwd-link \(symbolic link/,
    ]) {
      assert.match(run.stderr, note);
    }
    const entries = await inspectZip(path.join(user.home, 'submission.zip'), { maxBytes: 1 << 30, maxFiles: 100 });
    assert.deepEqual(entries.map((e) => e.name).sort(), ['README.md', 'main.py', 'model.pkl', 'train.py', 'utils/features.py']);
  });

  it('prints the result as JSON with --json', async () => {
    const run = await user.run(['--json', 'pack', folder, '-o', 'again.zip']);
    assert.equal(run.code, 0, show(run));
    const body = JSON.parse(run.stdout) as { files: string[]; skipped: { path: string }[]; zipBytes: number };
    assert.ok(body.files.includes('main.py'));
    assert.ok(body.skipped.some((s) => s.path === '.git/'));
    assert.ok(body.zipBytes > 0);
  });

  it('refuses a folder without the entry point, in one line, exit 3', async () => {
    const empty = path.join(user.home, 'no-main');
    await mkdir(path.join(empty, 'src'), { recursive: true });
    await writeFile(path.join(empty, 'src', 'main.py'), 'print(1)\n');
    const run = await user.run(['pack', empty]);
    assert.equal(run.code, 3, show(run));
    assert.match(lastLine(run.stderr), /^holdout: .*main\.py is inside "src\/", not at the root/);
  });

  it('refuses a folder over the size limit and names the largest files, exit 3', async () => {
    const run = await user.run(['pack', folder, '--max-size', '10KiB']);
    assert.equal(run.code, 3, show(run));
    assert.match(lastLine(run.stderr), /more than the limit of 10 KiB \(largest: model\.pkl/);
  });

  it('removes a zip it refused for its zipped size, exit 3', async () => {
    const run = await user.run(['pack', folder, '-o', 'too-big.zip', '--max-zip-size', '10KiB']);
    assert.equal(run.code, 3, show(run));
    assert.match(lastLine(run.stderr), /too-big\.zip would be .*, more than the 10 KiB the server accepts; it was not kept/);
    await assert.rejects(access(path.join(user.home, 'too-big.zip')), 'the refused zip is gone');
  });

  it('exits 3 for a path that is not a folder', async () => {
    const run = await user.run(['pack', path.join(user.home, 'nowhere')]);
    assert.equal(run.code, 3, show(run));
    assert.match(lastLine(run.stderr), /is not a folder/);
  });
});
