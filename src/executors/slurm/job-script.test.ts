import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Limits } from '../../domain/limits.js';
import { batchScript, jobFolder, sbatchArgs, shellQuote } from './job-script.js';
import { isActive, parseJobState, verdictWithoutResult } from './job-verdict.js';

const limits: Limits = { wallTimeMs: 600_000, memoryBytes: 2 * 1024 ** 3, cpus: 1.5, pids: 64, outputBytes: 1 << 20, logBytes: 1 << 20, gpus: 0 };
const folder = jobFolder('/shared/holdout/run-1-ab12');
const settings = { name: 'run-1-ab12', folder, overheadBytes: 256 << 20, graceSeconds: 120, extraArgs: [] };

describe('sbatch arguments', () => {
  it('asks for the run memory plus overhead, whole CPUs, wall time plus grace, no requeue', () => {
    const args = sbatchArgs(limits, { ...settings, partition: 'gpu', extraArgs: ['--qos=short'] });
    assert.deepEqual(args, [
      '--parsable',
      '--job-name=run-1-ab12',
      '--partition=gpu',
      '--nodes=1',
      '--ntasks=1',
      '--cpus-per-task=2',
      '--mem=2304M',
      '--time=12',
      '--no-requeue',
      '--chdir=/shared/holdout/run-1-ab12',
      '--output=/shared/holdout/run-1-ab12/slurm.out',
      '--export=NONE',
      '--qos=short',
      '/shared/holdout/run-1-ab12/job.sh',
    ]);
  });

  it('asks for GPUs as generic resources only when the run needs them', () => {
    assert.ok(!sbatchArgs(limits, settings).some((a) => a.startsWith('--gres')));
    assert.ok(sbatchArgs({ ...limits, gpus: 2 }, settings).includes('--gres=gpu:2'));
    assert.ok(!sbatchArgs(limits, settings).some((a) => a.startsWith('--partition')));
  });

  it('writes a batch script that execs the node entry with job.json, quoted', () => {
    const script = batchScript(['/usr/bin/node', "/opt/it's here/node-entry.js"], folder);
    assert.match(script, /^#!\/bin\/sh\n/);
    assert.match(script, /\nexec '\/usr\/bin\/node' '\/opt\/it'\\''s here\/node-entry.js' '\/shared\/holdout\/run-1-ab12\/job.json'\n$/);
    assert.equal(shellQuote("a'b"), `'a'\\''b'`);
  });
});

describe('Slurm job states', () => {
  it('reads JobState, Reason and ExitCode from scontrol -o', () => {
    const line = 'JobId=7 JobName=x UserId=root(0) JobState=NODE_FAIL Reason=NodeDown Dependency=(null) ExitCode=0:9 RunTime=00:00:12';
    assert.deepEqual(parseJobState(line), { state: 'NODE_FAIL', reason: 'NodeDown', exitCode: '0:9' });
    assert.equal(parseJobState('nothing here'), undefined);
  });

  it('knows which states may still run', () => {
    for (const s of ['PENDING', 'RUNNING', 'COMPLETING', 'CONFIGURING', 'SUSPENDED']) assert.ok(isActive(s), s);
    for (const s of ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL']) assert.ok(!isActive(s), s);
  });

  it('maps what the submission caused to outcomes and the rest to platform failures', () => {
    const job = (state: string, reason = 'None') => ({ state, reason, exitCode: '0:0' });
    assert.deepEqual(verdictWithoutResult(job('TIMEOUT'), false, '7'), { outcome: 'timeout', exitCode: null, signal: null });
    assert.deepEqual(verdictWithoutResult(job('CANCELLED'), true, '7'), { outcome: 'cancelled', exitCode: null, signal: null });
    const failure = (state: string, cancelled = false) => {
      const v = verdictWithoutResult(job(state, 'NodeDown'), cancelled, '7');
      assert.ok('failure' in v, `${state} is the platform's`);
      return v.failure;
    };
    assert.match(failure('CANCELLED'), /cancelled by someone other than Holdout/);
    assert.match(failure('NODE_FAIL'), /node of Slurm job 7 failed \(NODE_FAIL \(reason NodeDown\)\)/);
    assert.match(failure('OUT_OF_MEMORY'), /node entry .* ran out of the memory .* raise slurmMemoryOverheadBytes/);
    assert.match(failure('COMPLETED'), /ended COMPLETED .* without a result/);
    assert.match(failure('FAILED'), /ended FAILED/);
    assert.match(failure('PREEMPTED'), /PREEMPTED/);
    const lost = verdictWithoutResult(undefined, false, '7');
    assert.ok('failure' in lost && /no longer knows job 7/.test(lost.failure));
  });
});
