import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultLimits } from '../bundle/schema.js';
import { describeRunFailure } from './describe-run-failure.js';

const exited = (exitCode: number) => ({ outcome: 'exited' as const, exitCode, signal: null, wallMs: 10 });
const config = { limits: defaultLimits, entrypoint: ['sh', '-c', 'python main.py'], runtime: 'python-ml', packages: ['python3-lightgbm'] };
const traceback = (module: string) => `Traceback (most recent call last):\n  File "main.py", line 1\nModuleNotFoundError: No module named '${module}'\n`;

describe('describeRunFailure', () => {
  it('shows the entry point with its quoting', () => {
    assert.equal(describeRunFailure(exited(2), config, undefined)?.message, `"sh -c 'python main.py'" exited with code 2`);
  });

  it('names a missing module and what to do, withholding a name the competition does not list where logs are withheld', () => {
    const listed = describeRunFailure(exited(1), config, undefined, { tail: traceback('lightgbm.sklearn'), shown: false });
    assert.match(String(listed?.message), /imports the Python module "lightgbm", which the runtime "python-ml" does not have yet: the competition lists the package python3-lightgbm/);
    const shown = describeRunFailure(exited(1), config, undefined, { tail: traceback('xgboost'), shown: true });
    assert.match(String(shown?.message), /"xgboost".*ask the host to add it \(Debian package python3-xgboost\)/);
    // A name a submission chose could carry test data: withheld with the log.
    const secret = describeRunFailure(exited(1), config, undefined, { tail: traceback('label_3_is_7'), shown: false });
    assert.doesNotMatch(String(secret?.message), /label_3_is_7/);
    assert.match(String(secret?.message), /a Python module that the runtime "python-ml" does not have/);
  });

  it("reads the harness's exit 124 as a per-call timeout only when the competition sets a call limit", () => {
    const harness = { command: ['python3', '/holdout/harness/run.py'], callTimeoutMs: 1500, writableCode: false };
    assert.deepEqual(describeRunFailure(exited(124), { ...config, harness }, undefined), {
      reason: 'timeout',
      message: "a call of your code took longer than the per-call limit of 1.5 s (the competition's harness stopped the run)",
    });
    const { callTimeoutMs: _, ...noLimit } = harness;
    assert.equal(describeRunFailure(exited(124), { ...config, harness: noLimit }, undefined)?.reason, 'nonzero_exit');
  });
});
