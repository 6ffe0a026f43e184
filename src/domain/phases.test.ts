import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CompetitionConfig } from './competition.js';
import { phaseConfig } from './phases.js';

const imageId = `sha256:${'a'.repeat(64)}`;
const otherId = `sha256:${'b'.repeat(64)}`;

/** Only what phaseConfig reads and replaces; the rest of a configuration plays no part. */
function config(own: NonNullable<CompetitionConfig['phases'][number]['own']>): CompetitionConfig {
  return {
    runtime: 'python-ml',
    runtimeDigest: imageId,
    runtimeImage: 'registry.example/holdout/python-ml@sha256:' + 'c'.repeat(64),
    phases: [
      { name: 'development', start: new Date(0), dailyQuota: 1 },
      { name: 'final', start: new Date(1), dailyQuota: 1, own },
    ],
  } as CompetitionConfig;
}

describe('phaseConfig: a phase runs in its own runtime', () => {
  test("a phase's image replaces the competition's name, image ID and reference", () => {
    const c = config({ runtime: { name: 'tiny', digest: otherId, image: 'localhost/tiny:1' } });
    const final = phaseConfig(c, 'final');
    assert.deepEqual([final.runtime, final.runtimeDigest, final.runtimeImage], ['tiny', otherId, 'localhost/tiny:1']);
    const dev = phaseConfig(c, 'development');
    assert.deepEqual([dev.runtime, dev.runtimeDigest], ['python-ml', imageId], 'the other phase keeps the competition\'s');
  });

  test('a phase on "host" inherits neither the image ID nor the pull reference of the competition', () => {
    const final = phaseConfig(config({ runtime: { name: 'host' } }), 'final');
    assert.equal(final.runtime, 'host');
    assert.equal('runtimeDigest' in final, false);
    assert.equal('runtimeImage' in final, false);
  });

  test('a phase that owns other things keeps the competition\'s runtime', () => {
    const final = phaseConfig(config({ entrypoint: ['python3', 'final.py'] }), 'final');
    assert.deepEqual([final.runtime, final.runtimeDigest], ['python-ml', imageId]);
  });
});
