import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ensureExampleModel, exampleSubmission, repoRoot, startHoldout, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';

const run = promisify(execFile);

/** The first sh block under "## Try it" in the README, as a reader copies it. */
async function tryItBlock(): Promise<string> {
  const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
  const match = /## Try it\n\n```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(match?.[1], 'the README has a "Try it" sh block');
  return match[1];
}

describe('the README\'s "Try it" block', () => {
  let h: TestHoldout;
  let dir: string;
  before(async () => {
    ensureExampleModel();
    h = await startHoldout();
    // A folder of its own, so pack's zip is not written into the checkout.
    dir = await mkdtemp(path.join(tmpdir(), 'holdout-try-it-'));
    await cp(exampleSubmission, path.join(dir, 'examples', 'digits-submission'), { recursive: true });
  });
  after(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs as written on a fresh server, twice (no name clash), and its submission is scored', async () => {
    const host = new URL(h.url).host;
    const cli = `node --import ${import.meta.resolve('tsx')} ${path.join(repoRoot, 'src', 'cli', 'main.ts')}`;
    const script = (await tryItBlock()).replaceAll('localhost:8080', host).replaceAll('node dist/cli/main.js', cli);
    for (const round of [1, 2]) {
      const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', `${script}\necho "TOKEN=$TOKEN ID=$ID"`], { cwd: dir, timeout: 60_000 });
      const ids = /TOKEN=(hd_\S+) ID=(\S+)/.exec(stdout);
      assert.ok(ids, `round ${round}: TOKEN and ID are captured\n${stdout}`);
      assert.match(stdout, /"status":"(queued|running|scoring|scored)"/);
      assert.match(stdout, /"acceptedAt"/);
      const [, token = '', id = ''] = ids;
      assert.equal((await waitForFinal(h.url, token, id)).status, 'scored');
      // Names are made from the time in seconds.
      await new Promise((r) => setTimeout(r, 1100));
    }
  });
});
