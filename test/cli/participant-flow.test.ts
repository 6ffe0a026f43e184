import assert from 'node:assert/strict';
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { missingHostRequirements } from '../../src/executors/sandbox/host-check.js';
import {
  demoBundle,
  ensureExampleModel,
  exampleSubmission,
  repoRoot,
  startHoldout,
  upload,
  waitForFinal,
  type TestHoldout,
} from '../helpers/holdout-server.js';
import { CliUser, lastLine, show } from './cli-harness.js';

interface RunJson {
  status: string;
  reason: string | null;
  message: string | null;
  publicScore: number | null;
  publicScores: Record<string, number> | null;
  id?: string;
  executor?: string;
  approximations?: string[];
}

const sandboxMissing = missingHostRequirements();

describe('the participant CLI against a real server', { skip: sandboxMissing.length > 0 ? `the sandbox cannot run here: ${sandboxMissing.join('; ')}` : false }, () => {
  let h: TestHoldout;
  let user: CliUser;
  let token: string;
  let zip: string;

  before(async () => {
    ensureExampleModel();
    h = await startHoldout();
    user = await CliUser.create();
    token = await h.participant('dana');
    const login = await user.login(h.url, 'dana');
    assert.equal(login.code, 0, show(login));
    zip = path.join(user.home, 'submission.zip');
    const pack = await user.run(['pack', exampleSubmission, '-o', zip]);
    assert.equal(pack.code, 0, show(pack));
  });
  after(async () => {
    await user.cleanup();
    await h.close();
  });

  it('downloads the public files and the smoke sample, never the hidden ones', async () => {
    const dir = path.join(user.home, 'digits');
    const run = await user.run(['--json', 'download', 'digits', '--dir', dir]);
    assert.equal(run.code, 0, show(run));
    for (const rel of ['train/train_features.csv', 'train/train_labels.csv', 'test/submission_format.csv', 'smoke/features/test_features.csv', 'smoke/labels.csv', 'smoke/submission_format.csv']) {
      assert.equal(await readFile(path.join(dir, rel), 'utf8'), await readFile(path.join(demoBundle, rel), 'utf8'), rel);
    }
    await assert.rejects(access(path.join(dir, 'private', 'labels.csv')));
    await assert.rejects(access(path.join(dir, 'test', 'features')));
    const again = await user.run(['--json', 'download', 'digits', '--dir', dir]);
    assert.equal((JSON.parse(again.stdout) as { downloaded: string[] }).downloaded.length, 0, 'files already there are kept');
  });

  it('test-submission scores a zip on a bundle folder\'s smoke sample', async () => {
    const run = await user.run(['--json', 'test-submission', zip, '--competition', demoBundle]);
    assert.equal(run.code, 0, show(run));
    const result = JSON.parse(run.stdout) as RunJson;
    assert.equal(result.status, 'scored');
    assert.equal(result.executor, 'sandbox');
    assert.ok(Number(result.publicScore) > 0.8, run.stdout);
    assert.match(run.stderr, /read 20 rows from \/code_execution\/data\/test_features\.csv/, 'the log is shown live');
  });

  it('test-submission on the slug gives exactly the platform\'s score for the same zip on the same smoke sample', async () => {
    const local = await user.run(['--json', 'test-submission', zip, '--competition', 'digits']);
    assert.equal(local.code, 0, show(local));
    const mine = JSON.parse(local.stdout) as RunJson;

    const sent = await upload(h.url, token, 'digits', zip, '?kind=smoke');
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const platform = await waitForFinal(h.url, token, String(sent.body.id));
    assert.equal(platform.status, 'scored', JSON.stringify(platform));
    assert.equal(mine.publicScore, platform.publicScore);
    assert.deepEqual(mine.publicScores, platform.publicScores);

    // The weaker local runner gives the same score, and says what it only approximates.
    const weak = await user.run(['--json', 'test-submission', zip, '--competition', 'digits', '--executor', 'local']);
    assert.equal(weak.code, 0, show(weak));
    const weakResult = JSON.parse(weak.stdout) as RunJson;
    assert.equal(weakResult.executor, 'local');
    assert.deepEqual(weakResult.publicScores, platform.publicScores);
    assert.match(weak.stderr, /enforces these only approximately/);
    assert.match(weak.stderr, /network: not blocked/);
  });

  it('test-submission --executor docker runs a container of the engine and gives the platform\'s score', { skip: process.env.HOLDOUT_TEST_DOCKER_HOST ? false : 'HOLDOUT_TEST_DOCKER_HOST is not set (scripts/with-podman.sh)' }, async () => {
    const env = { HOLDOUT_DOCKER_HOST: String(process.env.HOLDOUT_TEST_DOCKER_HOST) };
    const local = await user.run(['--json', 'test-submission', zip, '--competition', 'digits', '--executor', 'sandbox']);
    const docker = await user.run(['--json', 'test-submission', zip, '--competition', 'digits', '--executor', 'docker'], { env });
    assert.equal(docker.code, 0, show(docker));
    const inContainer = JSON.parse(docker.stdout) as RunJson;
    assert.equal(inContainer.executor, 'docker');
    assert.deepEqual(inContainer.publicScores, (JSON.parse(local.stdout) as RunJson).publicScores);
    assert.match(docker.stderr, /read 20 rows from \/code_execution\/data\/test_features\.csv/, 'the platform\'s layout, log shown live');
    assert.match(docker.stderr, /not size-limited/, 'what differs from the platform is said');
  });

  it('test-submission exits 7 with the reason when the run fails', async () => {
    const broken = path.join(user.home, 'broken.zip');
    const pack = await user.run(['pack', path.join(repoRoot, 'examples', 'broken', 'nonzero_exit'), '-o', broken]);
    assert.equal(pack.code, 0, show(pack));
    const run = await user.run(['test-submission', broken, '--competition', demoBundle]);
    assert.equal(run.code, 7, show(run));
    assert.match(run.stderr, /holdout: the run failed; nonzero_exit: "python main\.py" exited with code 1/);
  });

  it('submit uploads, follows a full run to "scored" and exits 0', async () => {
    const rules = await user.run(['rules', 'digits', '--accept']);
    assert.equal(rules.code, 0, show(rules));
    const run = await user.run(['--json', 'submit', zip, '--competition', 'digits']);
    assert.equal(run.code, 0, show(run));
    const done = JSON.parse(run.stdout) as RunJson;
    assert.equal(done.status, 'scored');
    assert.ok(Number(done.publicScore) > 0.9);
    assert.match(run.stderr, /status: scored/);
  });

  it('submit --smoke shows the run\'s log', async () => {
    const run = await user.run(['submit', zip, '--competition', 'digits', '--smoke']);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stderr, /read 20 rows from/);
    assert.match(run.stdout, /scored: accuracy .* \(smoke sample\)/);
  });

  it('submit exits 7 and explains a failed run', async () => {
    const broken = path.join(user.home, 'invalid.zip');
    await user.run(['pack', path.join(repoRoot, 'examples', 'broken', 'invalid_output'), '-o', broken]);
    const run = await user.run(['submit', broken, '--competition', 'digits']);
    assert.equal(run.code, 7, show(run));
    assert.match(run.stderr, /holdout: submission \S+ failed; invalid_output: /);
  });

  it('status, logs and leaderboard show the submissions', async () => {
    const list = await user.run(['--json', 'status', '--competition', 'digits']);
    assert.equal(list.code, 0, show(list));
    const subs = JSON.parse(list.stdout) as (RunJson & { id: string; kind: string })[];
    const full = subs.find((s) => s.kind === 'full' && s.status === 'scored');
    assert.ok(full, list.stdout);
    const everywhere = await user.run(['status']);
    assert.equal(everywhere.code, 0, show(everywhere));
    // Ids are shown by their first 8 characters, which status and logs resolve.
    assert.match(everywhere.stdout, new RegExp(`^${full.id.slice(0, 8)}\\s+digits\\s+full\\s+scored`, 'm'));

    // Smoke runs show their log; full runs' logs are withheld (they can leak test data).
    const smoke = subs.find((s) => s.kind === 'smoke' && s.status === 'scored');
    assert.ok(smoke, list.stdout);
    const logs = await user.run(['logs', smoke.id]);
    assert.equal(logs.code, 0, show(logs));
    assert.match(logs.stdout, /wrote 20 predictions/);
    const withheld = await user.run(['logs', full.id]);
    assert.equal(withheld.code, 5, show(withheld));
    assert.match(lastLine(withheld.stderr), /does not show the logs of full runs/);

    const board = await user.run(['leaderboard', 'digits']);
    assert.equal(board.code, 0, show(board));
    assert.match(board.stdout, /^1\s+dana\s+0\.\d{4}/m);
  });

  it('explains a bad zip and an unknown competition in one line, with exit 3 and 4', async () => {
    const bad = path.join(user.home, 'bad.zip');
    await writeFile(bad, 'this is not a zip');
    for (const args of [['submit', bad, '--competition', 'digits'], ['test-submission', bad, '--competition', demoBundle]]) {
      const run = await user.run(args);
      assert.equal(run.code, 3, show(run));
      assert.match(lastLine(run.stderr), /^holdout: .*bad\.zip: not a valid zip archive/);
    }
    for (const args of [['submit', zip, '--competition', 'nope'], ['download', 'nope'], ['test-submission', zip, '--competition', 'nope'], ['leaderboard', 'nope']]) {
      const run = await user.run(args);
      assert.equal(run.code, 4, show(run));
      assert.equal(run.stderr.trim().split('\n').length, 1, show(run));
      assert.equal(lastLine(run.stderr), 'holdout: competition "nope" not found');
    }
  });

  it('init scaffolds a main.py that runs as it is and writes the submission format', async () => {
    const dir = path.join(user.home, 'scaffold');
    const init = await user.run(['init', '--competition', 'digits', dir]);
    assert.equal(init.code, 0, show(init));
    const main = await readFile(path.join(dir, 'main.py'), 'utf8');
    assert.match(main, /COLUMNS = \["label"\]/);
    assert.match(main, /HOLDOUT_OUTPUT/);
    const again = await user.run(['init', '--competition', 'digits', dir]);
    assert.equal(again.code, 3, 'an existing main.py is not overwritten');

    const scaffoldZip = path.join(user.home, 'scaffold.zip');
    assert.equal((await user.run(['pack', dir, '-o', scaffoldZip])).code, 0);
    const run = await user.run(['--json', 'test-submission', scaffoldZip, '--competition', 'digits']);
    assert.equal(run.code, 0, show(run));
    assert.equal((JSON.parse(run.stdout) as RunJson).status, 'scored');
  });
});
