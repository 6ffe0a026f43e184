import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { assertIssue, at, copyDemo, editConfig, editCsv, issuesOf } from './bundle-fixture.case.js';
import { unknownPlaceholder } from './check-scoring-program.js';
import { loadBundle } from './load-bundle.js';
import { defaultLimits } from './schema.js';

const score = 'import sys\nprint(sys.argv)\n';

/** Adds a scoring program folder to the bundle in `dir`, with the given files. */
async function addProgram(dir: string, files: Record<string, string>, folder = 'scorer'): Promise<void> {
  await mkdir(path.join(dir, folder), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, folder, name), text);
}

/** Replaces the built-in metrics by a program: `program` is what competition.yaml says. */
function useProgram(program: unknown): (c: Record<string, unknown>) => void {
  return (c) => {
    const scoring = at(c, 'scoring');
    scoring.program = program;
    scoring.primary = { metric: 'auc_pr', higher_is_better: true };
    scoring.extra = [{ metric: 'duration', higher_is_better: false }, 'accuracy'];
  };
}

describe('loadBundle: a scoring program', () => {
  test('takes the command from a Codabench metadata.yaml, and free metric names', async (t) => {
    const dir = await copyDemo(t);
    await addProgram(dir, { 'metadata.yaml': 'command: python3 $program/score.py $input $output\ndescription: x\n', 'score.py': score });
    await editConfig(dir, useProgram('scorer/'));
    const { config } = await loadBundle(dir);
    assert.deepEqual(config.scoring.program, {
      dir: 'scorer',
      command: ['python3', '$program/score.py', '$input', '$output'],
      limits: defaultLimits,
    });
    assert.deepEqual(config.scoring.primary, { metric: 'auc_pr', higherIsBetter: true });
    assert.deepEqual(config.scoring.extra, [
      { metric: 'duration', higherIsBetter: false },
      { metric: 'accuracy', higherIsBetter: true },
    ]);
  });

  test("takes a CodaLab program's command from its metadata file, or competition.yaml's over it", async (t) => {
    const dir = await copyDemo(t);
    await addProgram(dir, { metadata: 'command: python /app/program/evaluate.py /app/input /app/output\n', 'evaluate.py': score });
    await editConfig(dir, useProgram({ path: 'scorer', runtime: 'python-ml', limits: { wall_time: '90s', memory: '4GiB' } }));
    const { config } = await loadBundle(dir);
    assert.deepEqual(config.scoring.program?.command, ['python', '/app/program/evaluate.py', '/app/input', '/app/output']);
    assert.equal(config.scoring.program?.runtime, 'python-ml');
    assert.deepEqual(config.scoring.program?.limits, { ...defaultLimits, wallTimeMs: 90_000, memoryBytes: 4 * 1024 ** 3 });

    await editConfig(dir, (c) => void (at(c, 'scoring', 'program').command = 'python3 "$program/evaluate.py" ${input} $output'));
    const again = await loadBundle(dir);
    assert.deepEqual(again.config.scoring.program?.command, ['python3', '$program/evaluate.py', '${input}', '$output']);
  });

  test('lets the labels lack the target columns: the program reads what it likes', async (t) => {
    const dir = await copyDemo(t);
    await addProgram(dir, { 'metadata.yaml': 'command: python3 $program/score.py $input $output\n' });
    await editConfig(dir, useProgram('scorer'));
    await editCsv(dir, 'private/labels.csv', (rows) => rows.map(([id, label, usage]) => [id ?? '', usage ?? '', `${label ?? ''}x`]));
    await editCsv(dir, 'smoke/labels.csv', (rows) => rows.map(([id, , usage]) => [id ?? '', usage ?? '']));
    await loadBundle(dir);
  });

  const cases: Array<{ name: string; files?: Record<string, string>; program: unknown; edit?: (c: Record<string, unknown>) => void; file?: string; field: string; message: RegExp }> = [
    { name: 'a missing folder', program: 'grader/', field: 'scoring.program.path', message: /"grader" does not exist in the bundle/ },
    { name: 'a file for a folder', files: { 'metadata.yaml': 'command: x' }, program: 'scorer/metadata.yaml', field: 'scoring.program.path', message: /is a file; expected a folder/ },
    { name: 'no command anywhere', files: { 'score.py': score }, program: 'scorer', field: 'scoring.program.command', message: /required: the program folder "scorer" has no metadata\.yaml or metadata file/ },
    { name: 'metadata without a command', files: { 'metadata.yaml': 'description: scores\n' }, program: 'scorer', file: 'scorer/metadata.yaml', field: 'command', message: /expected a command such as .* got none/ },
    { name: 'metadata that is not YAML', files: { 'metadata.yaml': 'command: [unclosed\n' }, program: 'scorer', file: 'scorer/metadata.yaml', field: 'command', message: /invalid YAML/ },
    { name: 'an unknown placeholder', files: { 'metadata.yaml': 'command: python3 $program/score.py $input $secrets\n' }, program: 'scorer', file: 'scorer/metadata.yaml', field: 'command', message: /uses \$secrets; .* \$program, \$input, \$output, \$ingestion_program, \$submission_program, \$shared/ },
    {
      name: 'a column for a program metric',
      files: { 'metadata.yaml': 'command: python3 $program/score.py\n' },
      program: 'scorer',
      edit: (c) => void (at(c, 'scoring', 'primary').column = 'label'),
      field: 'scoring.primary.column',
      message: /applies to built-in metrics only/,
    },
    {
      name: 'a program primary metric without a direction',
      files: { 'metadata.yaml': 'command: python3 $program/score.py\n' },
      program: 'scorer',
      edit: (c) => void (at(c, 'scoring').primary = 'auc_pr'),
      field: 'scoring.primary.higher_is_better',
      message: /required: say whether a higher "auc_pr" is better/,
    },
  ];
  for (const c of cases) {
    test(`reports ${c.name}`, async (t) => {
      const dir = await copyDemo(t);
      if (c.files) await addProgram(dir, c.files);
      await editConfig(dir, (config) => {
        useProgram(c.program)(config);
        c.edit?.(config);
      });
      assertIssue(await issuesOf(dir), c.file ?? 'competition.yaml', c.field, c.message);
    });
  }

  test('still refuses unknown built-in metrics without a program', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => void (at(c, 'scoring', 'extra')[0] = 'auc_pr'));
    assertIssue(await issuesOf(dir), 'competition.yaml', 'scoring.extra[0].metric', /unknown metric "auc_pr"/);
  });

  test('finds placeholders other than the six Codabench defines', () => {
    assert.equal(unknownPlaceholder(['python3', '$program/a.py', '${input}', '--o=$output']), undefined);
    assert.equal(unknownPlaceholder(['python3', '$program/a.py', '${shared}', '$ingestion_program', '$submission_program']), undefined);
    assert.equal(unknownPlaceholder(['python3', '${data}']), '${data}');
    assert.equal(unknownPlaceholder(['$HOME/x']), '$HOME');
  });
});
