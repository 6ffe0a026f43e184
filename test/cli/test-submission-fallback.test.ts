import assert from 'node:assert/strict';
import { chown } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { demoBundle, ensureExampleModel, exampleSubmission } from '../helpers/holdout-server.js';
import { CliUser, show } from './cli-harness.js';

/** The host's "nobody": a participant without root on their own machine. */
const nobody = 65534;

describe('holdout test-submission without root', { skip: process.getuid?.() !== 0 ? 'needs root to start the CLI as another user' : false }, () => {
  let user: CliUser;
  let zip: string;
  before(async () => {
    ensureExampleModel();
    user = await CliUser.create({ uid: nobody });
    zip = path.join(user.home, 'submission.zip');
    const pack = await user.run(['pack', exampleSubmission, '-o', zip]);
    assert.equal(pack.code, 0, show(pack));
    await chown(zip, nobody, nobody);
  });
  after(() => user.cleanup());

  it('falls back to the local runner, says why and which limits are approximate, and scores the same way', async () => {
    const run = await user.run(['--json', 'test-submission', zip, '--competition', demoBundle]);
    assert.equal(run.code, 0, show(run));
    const result = JSON.parse(run.stdout) as { status: string; executor: string; publicScore: number; approximations: string[] };
    assert.equal(result.status, 'scored');
    assert.equal(result.executor, 'local');
    assert.ok(result.publicScore > 0.8);
    assert.match(run.stderr, /note: not using the sandbox \(the sandbox cannot run here: root privileges/);
    assert.ok(result.approximations.some((a) => a.includes('RLIMIT_NPROC is per user')), run.stdout);
    assert.match(run.stderr, /read 20 rows from \/tmp\/.*\/smoke\/features\/test_features\.csv/, 'HOLDOUT_DATA names the host folder');
  });

  it('refuses --executor sandbox with the reason, exit 1', async () => {
    const run = await user.run(['test-submission', zip, '--competition', demoBundle, '--executor', 'sandbox']);
    assert.equal(run.code, 1, show(run));
    assert.match(run.stderr, /holdout: the sandbox cannot run here: root privileges.*; or use --executor local/);
  });
});
