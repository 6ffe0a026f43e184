import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJson, startHoldout, type TestHoldout } from '../helpers/holdout-server.js';

/*
 * The details of a competition whose later phase has data of its own: each phase's run settings
 * are described as its submissions run, and where its hidden data lies stays private.
 */
describe("competition details of a phase with data of its own", () => {
  let h: TestHoldout;
  before(async () => {
    h = await startHoldout({
      editYaml: (y) => `${y.trimEnd()}\n  - name: final\n    start: 2030-01-01\n    end: 2031-01-01\n    data:\n      test_features: test/features/\n      labels: private/final_labels.csv\n      submission_format: test/final_format.csv\n      smoke: { features: smoke/features/, labels: smoke/final_labels.csv, submission_format: smoke/final_format.csv }\n`,
      // The final phase predicts a confidence too: its format and labels have that column.
      editBundle: async (dir) => {
        const withConfidence = async (from: string, to: string) => {
          const lines = (await readFile(path.join(dir, from), 'utf8')).trimEnd().split('\n');
          await writeFile(path.join(dir, to), lines.map((l, i) => `${l},${i === 0 ? 'confidence' : '0.5'}`).join('\n') + '\n');
        };
        await withConfidence('test/submission_format.csv', 'test/final_format.csv');
        await withConfidence('private/labels.csv', 'private/final_labels.csv');
        await withConfidence('smoke/submission_format.csv', 'smoke/final_format.csv');
        await withConfidence('smoke/labels.csv', 'smoke/final_labels.csv');
      },
    });
  });
  after(() => h.close());

  type Details = { runsPhase: string; submissionFormat: { idColumn: string; columns: string[]; placeholders: string[] } | null; phases: { name: string; own?: Record<string, unknown> }[] };

  it("describes the submission format of the phase it describes: the open one, or ?phase=", async () => {
    const open = (await getJson(`${h.url}/api/competitions/digits`)).body as Details;
    assert.equal(open.runsPhase, 'development');
    assert.deepEqual(open.submissionFormat, { idColumn: 'id', columns: ['label'], placeholders: ['0'] });
    const final = (await getJson(`${h.url}/api/competitions/digits?phase=final`)).body as Details;
    assert.equal(final.runsPhase, 'final');
    assert.deepEqual(final.submissionFormat, { idColumn: 'id', columns: ['label', 'confidence'], placeholders: ['0', '0.5'] });
  });

  it("never says where a phase's test features and labels lie in the bundle", async () => {
    const final = (await getJson(`${h.url}/api/competitions/digits?phase=final`)).body as Details;
    assert.deepEqual(final.phases.map((p) => p.name), ['development', 'final']);
    assert.equal(final.phases[1]?.own, undefined, 'the final phase owns data only, which is not shown');
    assert.doesNotMatch(JSON.stringify(final), /private\/final_labels|test\/features/);
  });
});
