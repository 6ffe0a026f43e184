import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { assertIssue, at, copyDemo, editConfig, editCsv, issuesOf } from './bundle-fixture.case.js';
import { loadBundle } from './load-bundle.js';

describe('loadBundle: data paths', () => {
  test('a labels file that does not exist', async (t) => {
    const dir = await copyDemo(t);
    await rm(path.join(dir, 'private/labels.csv'));
    assertIssue(await issuesOf(dir), 'competition.yaml', 'data.labels', '"private/labels.csv" does not exist in the bundle');
  });

  test('test features that are a file, not a folder', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => void (at(c, 'data').test_features = 'test/features/test_features.csv'));
    assertIssue(await issuesOf(dir), 'competition.yaml', 'data.test_features', '"test/features/test_features.csv" is a file; expected a folder');
  });

  test('an empty test features folder', async (t) => {
    const dir = await copyDemo(t);
    await rm(path.join(dir, 'test/features/test_features.csv'));
    assertIssue(await issuesOf(dir), 'competition.yaml', 'data.test_features', '"test/features" is an empty folder');
  });

  test('public data that contains the labels', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => void (at(c, 'data').public = ['train/', 'private/']));
    assertIssue(await issuesOf(dir), 'competition.yaml', 'data.public[1]', /"private" contains the labels file "private\/labels.csv": labels must never be public/);
  });

  test('public data that is the labels file', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => void (at(c, 'data').public = ['private/labels.csv']));
    assertIssue(await issuesOf(dir), 'competition.yaml', 'data.public[0]', /is the labels file/);
  });

  test('public data that contains the test features', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => void (at(c, 'data').public = ['train', 'test']));
    assertIssue(await issuesOf(dir), 'competition.yaml', 'data.public[1]', /"test" contains the test features "test\/features": test features must never be downloadable/);
  });

  test('labels inside the test features folder, where every run could read them', async (t) => {
    const dir = await copyDemo(t);
    await rename(path.join(dir, 'private/labels.csv'), path.join(dir, 'test/features/labels.csv'));
    await editConfig(dir, (c) => void (at(c, 'data').labels = 'test/features/labels.csv'));
    assertIssue(await issuesOf(dir), 'competition.yaml', 'data.labels', /inside the test features folder .* every run could read the labels/);
  });

  test('a smoke sample taken from the test features', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => void (at(c, 'data', 'smoke').features = 'test/features'));
    assertIssue(await issuesOf(dir), 'competition.yaml', 'data.smoke.features', /overlaps the test features "test\/features": smoke logs are shown in full/);
  });

  test('a symbolic link out of the bundle', async (t) => {
    const dir = await copyDemo(t);
    await symlink('/etc/passwd', path.join(dir, 'train/extra.csv'));
    assertIssue(await issuesOf(dir), 'train/extra.csv', '', 'is a symbolic link to /etc/passwd, outside the bundle: copy the data into the bundle instead');
  });

  test('a data path through a linked folder outside the bundle', async (t) => {
    const dir = await copyDemo(t);
    const outside = await mkdtemp(path.join(tmpdir(), 'holdout-outside-'));
    t.after(() => rm(outside, { recursive: true, force: true }));
    await rename(path.join(dir, 'private/labels.csv'), path.join(outside, 'labels.csv'));
    await rm(path.join(dir, 'private'), { recursive: true });
    await symlink(outside, path.join(dir, 'private'));
    const issues = await issuesOf(dir);
    assertIssue(issues, 'private', '', /outside the bundle/);
    assertIssue(issues, 'competition.yaml', 'data.labels', '"private/labels.csv" goes through the symbolic link "private"');
  });

  test('a description file that does not exist', async (t) => {
    const dir = await copyDemo(t);
    await rm(path.join(dir, 'overview.md'));
    assertIssue(await issuesOf(dir), 'competition.yaml', 'description', /"overview.md" does not exist in the bundle/);
  });
});

describe('loadBundle: CSV headers and values', () => {
  test('a submission format whose first column is not the id column', async (t) => {
    const dir = await copyDemo(t);
    await editCsv(dir, 'test/submission_format.csv', (rows) => rows.map((r, i) => (i === 0 ? ['ID', 'label'] : r)));
    assertIssue(await issuesOf(dir), 'test/submission_format.csv', 'id_column', 'the first column is "ID"; expected the id column "id"');
  });

  test('a submission format with nothing to predict', async (t) => {
    const dir = await copyDemo(t);
    await editCsv(dir, 'test/submission_format.csv', (rows) => rows.map((r) => r.slice(0, 1)));
    assertIssue(await issuesOf(dir), 'test/submission_format.csv', 'data.submission_format', /has no column to predict/);
  });

  test('labels without the target column of the format', async (t) => {
    const dir = await copyDemo(t);
    await editCsv(dir, 'private/labels.csv', (rows) => rows.map((r, i) => (i === 0 ? ['id', 'target', 'usage'] : r)));
    assertIssue(await issuesOf(dir), 'private/labels.csv', 'data.labels', 'lacks the column "label" of the submission format (header: id,target,usage)');
  });

  test('labels without the split column', async (t) => {
    const dir = await copyDemo(t);
    await editCsv(dir, 'private/labels.csv', (rows) => rows.map((r) => r.slice(0, 2)));
    assertIssue(await issuesOf(dir), 'private/labels.csv', 'scoring.split.column', /has no "usage" column to split public from private rows/);
  });

  test('a split value that is neither Public nor Private', async (t) => {
    const dir = await copyDemo(t);
    await editCsv(dir, 'private/labels.csv', (rows) => rows.map((r, i) => (i === 5 ? [r[0]!, r[1]!, 'public'] : r)));
    assertIssue(await issuesOf(dir), 'private/labels.csv', 'scoring.split', 'the column "usage" has the value "public" (line 6); expected "Public" or "Private"');
  });

  test('labels with no private row', async (t) => {
    const dir = await copyDemo(t);
    await editCsv(dir, 'private/labels.csv', (rows) => rows.map((r, i) => (i === 0 ? r : [r[0]!, r[1]!, 'Public'])));
    assertIssue(await issuesOf(dir), 'private/labels.csv', 'scoring.split', /no row has "Private" .* that leaderboard would be empty/);
  });

  test('labels missing an id of the format', async (t) => {
    const dir = await copyDemo(t);
    await editCsv(dir, 'private/labels.csv', (rows) => rows.filter((_, i) => i !== 1));
    assertIssue(await issuesOf(dir), 'private/labels.csv', 'data.labels', 'lacks 1 id(s) of the submission format, e.g. "d0003"');
  });

  test('a repeated id in the format', async (t) => {
    const dir = await copyDemo(t);
    await editCsv(dir, 'test/submission_format.csv', (rows) => [...rows, rows[1]!]);
    assertIssue(await issuesOf(dir), 'test/submission_format.csv', 'data.submission_format', /the id "d0003" appears twice \(lines 2 and \d+\)/);
  });

  test('a ragged CSV file', async (t) => {
    const dir = await copyDemo(t);
    await writeFile(path.join(dir, 'smoke/labels.csv'), 'id,label,usage\nd0001,3\n');
    assertIssue(await issuesOf(dir), 'smoke/labels.csv', 'data.smoke.labels', /is not valid CSV: /);
  });

  test('a smoke format whose header differs from the real one', async (t) => {
    const dir = await copyDemo(t);
    await editCsv(dir, 'smoke/submission_format.csv', (rows) => rows.map((r, i) => (i === 0 ? ['id', 'digit'] : r)));
    assertIssue(await issuesOf(dir), 'smoke/submission_format.csv', 'data.smoke.submission_format', `has the header "id,digit"; expected the submission format's "id,label"`);
  });

  test('a metric column that the format lacks', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => void (at(c, 'scoring', 'primary').column = 'digit'));
    assertIssue(await issuesOf(dir), 'competition.yaml', 'scoring.primary.column', '"digit" is not a target column of the submission format (label)');
  });

  test('file checks still run when another section is invalid', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => void (at(c, 'limits').memory = 'lots'));
    await editCsv(dir, 'private/labels.csv', (rows) => rows.map((r) => r.slice(0, 2)));
    const issues = await issuesOf(dir);
    assertIssue(issues, 'competition.yaml', 'limits.memory', /expected a size/);
    assertIssue(issues, 'private/labels.csv', 'scoring.split.column', /has no "usage" column/);
  });

  test('one invalid public entry does not hide the other data checks', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => void (at(c, 'data').public = ['/etc', 'private']));
    const issues = await issuesOf(dir);
    assertIssue(issues, 'competition.yaml', 'data.public[0]', /must be relative to the bundle/);
    assertIssue(issues, 'competition.yaml', 'data.public[1]', /"private" contains the labels file/);
  });

  test('a seeded split needs no split column', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => void (at(c, 'scoring').split = { seed: 1, public_fraction: 0.5 }));
    await editCsv(dir, 'private/labels.csv', (rows) => rows.map((r) => r.slice(0, 2)));
    const { config } = await loadBundle(dir);
    assert.equal(config.scoring.split.kind, 'seeded');
  });
});
