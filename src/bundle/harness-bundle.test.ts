import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { assertIssue, copyDemo, editConfig, issuesOf } from './bundle-fixture.case.js';
import { loadBundle } from './load-bundle.js';

describe('competition.yaml: harness, layout: drivendata, packages, ranking metrics', () => {
  test('a harness, the DrivenData layout, packages and a ranking metric load to their config', async (t) => {
    const dir = await copyDemo(t);
    await mkdir(path.join(dir, 'harness'));
    await writeFile(path.join(dir, 'harness', 'run.py'), 'print("harness")\n');
    await editConfig(dir, (c) => {
      c.harness = { files: 'harness/', command: 'python3 ${harness}/run.py --data $harness/x', call_timeout: '1500ms' };
      c.layout = 'drivendata';
      c.packages = ['python3-lightgbm'];
      (c.scoring as Record<string, unknown>).extra = [{ metric: 'f1_macro' }, { metric: 'ndcg@5', column: 'label' }];
    });
    const { config } = await loadBundle(dir);
    assert.deepEqual(config.harness, { dir: 'harness', command: ['python3', '/holdout/harness/run.py', '--data', '/holdout/harness/x'], callTimeoutMs: 1500, writableCode: false });
    assert.deepEqual(config.layout, { code: '/code_execution', data: '/code_execution/data', output: '/code_execution/submission' });
    assert.deepEqual(config.packages, ['python3-lightgbm']);
    assert.equal(config.scoring.extra[1]?.higherIsBetter, true);
  });

  test('every harness mistake is named with its file and field', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => {
      c.harness = { files: 'no-such-folder/', command: 'python3 $HOME/run.py', call_timeout: 2, code: 'rw', extra: 1 };
      c.packages = ['Not A Package'];
      c.layout = { code: '/code_execution/data/x', data: '/code_execution/data' };
      (c.scoring as Record<string, unknown>).extra = [{ metric: 'ndcg@0' }];
    });
    const issues = await issuesOf(dir);
    assertIssue(issues, 'competition.yaml', 'harness.command', /uses "\$HOME\/run.py"; a harness command may use \$harness only/);
    assertIssue(issues, 'competition.yaml', 'harness.call_timeout', /expected a duration such as "10m".*got 2; add a unit/);
    assertIssue(issues, 'competition.yaml', 'harness.code', /read-only.*writable/);
    assertIssue(issues, 'competition.yaml', 'harness.extra', /unknown field; expected one of: files, command, call_timeout, code/);
    assertIssue(issues, 'competition.yaml', 'packages[0]', /Debian package name/);
    assertIssue(issues, 'competition.yaml', 'layout.data', /must be distinct from layout.code/);
    assertIssue(issues, 'competition.yaml', 'scoring.extra[0].metric', /unknown metric "ndcg@0".*ndcg\[@K\]/);
  });

  test("the harness's files must exist and stay out of what participants download or read as data", async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => {
      c.harness = { files: 'nowhere/', command: 'python3 $harness/run.py' };
    });
    assertIssue(await issuesOf(dir), 'competition.yaml', 'harness.files', /"nowhere" does not exist in the bundle/);
    await editConfig(dir, (c) => {
      c.harness = { files: 'train/', command: 'python3 $harness/run.py' };
    });
    assertIssue(await issuesOf(dir), 'competition.yaml', 'harness.files', /"train" overlaps data.public\[0\] \("train"\)/);
    await editConfig(dir, (c) => {
      c.harness = { command: 'python3 $harness/run.py' };
    });
    assertIssue(await issuesOf(dir), 'competition.yaml', 'harness.command', /uses \$harness, but harness.files names no folder/);
  });
});
