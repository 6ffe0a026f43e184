import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entryFile, formatCommand } from './entry-file.js';
import { failureAdvice } from './submission.js';
import { splitCommand } from './split-command.js';

describe('entryFile', () => {
  it('finds the file behind env, sh -c and interpreter options', () => {
    const cases: [string, string | undefined][] = [
      ['python main.py', 'main.py'],
      ['./run.sh --fast', 'run.sh'],
      ['env A=B python3 main.py', 'main.py'],
      ['env -i -u HOME OMP_NUM_THREADS=1 python3 -u src/infer.py', 'src/infer.py'],
      ["sh -c 'python3 main.py && cp submission.csv submission/'", 'main.py'],
      ['bash -c "env X=1 python main.py"', 'main.py'],
      ['python3 -X dev main.py', 'main.py'],
      ['python3 -m mypackage', undefined],
      ["sh -c 'cd src; python main.py'", undefined],
      ['sh -c', undefined],
      ["sh -c 'exec python3 main.py'", 'main.py'],
    ];
    for (const [line, file] of cases) {
      const split = splitCommand(line);
      assert.ok(split.ok, line);
      assert.equal(entryFile(split.argv), file, line);
    }
  });
});

describe('formatCommand', () => {
  it('quotes what a shell would split, and reads back to the same argv', () => {
    const argvs = [['python', 'main.py'], ['sh', '-c', "python3 main.py && echo 'done'"], ['env', 'A=B c', 'x'], ['echo', ''], ['a"b', '$HOME']];
    for (const argv of argvs) {
      const line = formatCommand(argv);
      const back = splitCommand(line);
      assert.ok(back.ok, line);
      assert.deepEqual(back.argv, argv, line);
    }
    assert.equal(formatCommand(['sh', '-c', 'python main.py']), "sh -c 'python main.py'");
    assert.equal(formatCommand(['python', 'main.py']), 'python main.py');
  });
});

describe('failureAdvice', () => {
  it('says "read the log" only where the log is shown', () => {
    assert.match(failureAdvice('nonzero_exit', 'smoke', { hasSmoke: true }), /Read the log/);
    assert.match(failureAdvice('nonzero_exit', 'full', { hasSmoke: true }), /withholds the logs of full runs.*smoke run/);
    const codabench = failureAdvice('nonzero_exit', 'full', { hasSmoke: false });
    assert.doesNotMatch(codabench, /Read the log|smoke run/);
    assert.match(codabench, /no smoke sample/);
    assert.match(failureAdvice('nonzero_exit', 'full', { hasSmoke: false, logs: { fullRuns: 'tail', smokeRuns: 'full' } }), /Read the log/);
    assert.match(failureAdvice('timeout', 'full', { hasSmoke: false }), /time limit/);
  });
});
