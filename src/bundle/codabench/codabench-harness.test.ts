import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { codabenchHarness } from './codabench-harness.js';

const prefix = ['sh', '-c', 'export PYTHONUNBUFFERED=1; cd /app/program && exec "$@"', 'ingestion'];

describe('a Codabench ingestion program as a harness', () => {
  test("Codabench's variables become its /app paths; quoted words stay whole", () => {
    const made = codabenchHarness('ingestion_program', { command: 'python $program/ingest.py "$input" $output $shared --name \'a b\'' });
    assert.ok('harness' in made);
    assert.deepEqual(made.harness, {
      files: 'ingestion_program/',
      command: [...prefix, 'python', '/app/program/ingest.py', '/app/input_data', '/app/output', '/app/shared', '--name', 'a b'],
      code: 'writable',
    });
  });

  test('a command that hard-codes the paths is kept as it is', () => {
    const made = codabenchHarness('ingestion', { command: 'python3 /app/program/ingestion.py' });
    assert.ok('harness' in made);
    assert.deepEqual(made.harness.command, [...prefix, 'python3', '/app/program/ingestion.py']);
  });

  test('what cannot be a faithful harness is said, not guessed', () => {
    const problem = (metadata: unknown) => {
      const made = codabenchHarness('ing', metadata);
      return 'problem' in made ? made.problem : undefined;
    };
    assert.match(problem(undefined) ?? '', /ingestion program "ing": no command in its metadata.yaml/);
    assert.match(problem({ command: '' }) ?? '', /no command/);
    assert.match(problem({ command: 'python run.py $HOME' }) ?? '', /uses "\$HOME", which Codabench does not replace/);
    assert.match(problem({ command: 'python "run.py' }) ?? '', /its command .*quote/);
  });
});
