import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseImageReference, pinnedReference, runtimeNameOfImage } from '../domain/image-reference.js';
import { assertIssue, copyDemo, editConfig, issuesOf } from './bundle-fixture.case.js';
import { loadBundle } from './load-bundle.js';

const manifest = `sha256:${'a'.repeat(64)}`;
const imageId = `sha256:${'b'.repeat(64)}`;

describe('competition.yaml runtime: a recipe name or any image', () => {
  test('an image reference is kept as runtimeImage, named by its last path component', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => {
      c.runtime = { image: `registry.example:5000/holdout/python-ml@${manifest}` };
    });
    const { config } = await loadBundle(dir);
    assert.equal(config.runtime, 'python-ml');
    assert.equal(config.runtimeImage, `registry.example:5000/holdout/python-ml@${manifest}`);
    assert.equal(config.runtimeDigest, undefined, 'recorded at install, not declared');
  });

  test('a declared image ID and name are taken as given', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => {
      c.runtime = { image: 'localhost/holdout-runtime/python-ml:abc', digest: imageId, name: 'ml' };
    });
    const { config } = await loadBundle(dir);
    assert.equal(config.runtime, 'ml');
    assert.equal(config.runtimeDigest, imageId);
  });

  test('bad references, digests and names are reported with what is expected', async (t) => {
    const cases: { runtime: unknown; field: string; message: RegExp }[] = [
      { runtime: { image: 'Not An Image' }, field: 'runtime.image', message: /image reference such as .*@sha256/ },
      { runtime: { image: `r.example/x@sha256:${'a'.repeat(10)}` }, field: 'runtime.image', message: /image reference/ },
      { runtime: { image: 'r.example/x:1', digest: 'abc' }, field: 'runtime.digest', message: /image ID, sha256:<64 hex>/ },
      { runtime: { image: 'r.example/x:1', name: 'host' }, field: 'runtime.name', message: /machine's own/ },
      { runtime: { image: 'r.example/x:1', tag: '1' }, field: 'runtime', message: /tag/ },
      { runtime: 'Python ML', field: 'runtime', message: /runtime recipe name/ },
      { runtime: 3, field: 'runtime', message: /"host", a runtime recipe name .*\{ image: / },
    ];
    for (const c of cases) {
      const dir = await copyDemo(t);
      await editConfig(dir, (config) => {
        config.runtime = c.runtime;
      });
      assertIssue(await issuesOf(dir), 'competition.yaml', c.field, c.message);
    }
  });

  test("a phase's own runtime is kept on the phase; the competition's stays as it is", async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => {
      const phases = c.phases as Record<string, unknown>[];
      phases[0] = { ...phases[0], end: '2027-01-01' };
      phases.push({ name: 'final', start: '2027-01-01', end: '2027-02-01', runtime: { image: `registry.example:5000/holdout/tiny@${manifest}` } });
    });
    const { config } = await loadBundle(dir);
    assert.equal(config.runtime, 'host');
    assert.equal(config.phases[0]?.own?.runtime, undefined);
    assert.deepEqual(config.phases[1]?.own?.runtime, { name: 'tiny', image: `registry.example:5000/holdout/tiny@${manifest}` });

    await editConfig(dir, (c) => {
      (c.phases as Record<string, unknown>[])[1]!.runtime = { image: 'Not An Image' };
    });
    assertIssue(await issuesOf(dir), 'competition.yaml', 'phases[1].runtime.image', /image reference such as/);
  });
});

describe('image references', () => {
  test('split into registry, path, tag and digest', () => {
    assert.deepEqual(parseImageReference(`127.0.0.1:5000/holdout/tiny:1@${manifest}`), { host: '127.0.0.1:5000', path: 'holdout/tiny', tag: '1', digest: manifest });
    assert.deepEqual(parseImageReference('holdout/python-ml'), { path: 'holdout/python-ml' });
    assert.deepEqual(parseImageReference('localhost/x:latest'), { host: 'localhost', path: 'x', tag: 'latest' });
    assert.equal(parseImageReference('UPPER/case'), undefined);
    assert.equal(parseImageReference('-rm'), undefined);
  });

  test('a pushed tag becomes the pinned repo@digest; a runtime name never becomes "host"', () => {
    assert.equal(pinnedReference('127.0.0.1:5000/holdout/tiny:1', manifest), `127.0.0.1:5000/holdout/tiny@${manifest}`);
    assert.equal(runtimeNameOfImage({ path: 'org/scikit_learn.v2' }), 'scikit-learn-v2');
    assert.equal(runtimeNameOfImage({ path: 'org/host' }), 'image-host');
  });
});
