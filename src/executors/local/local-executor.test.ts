import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultLayout, type Limits } from '../../domain/limits.js';
import type { RunResult } from '../executor.js';
import { LocalExecutor } from './local-executor.js';
import { localApproximations, prlimitArgs, translateLayoutPaths } from './local-limits.js';
import { parseProcStat, parseVmRss } from './process-group.js';

const limits: Limits = { wallTimeMs: 20_000, memoryBytes: 512 << 20, cpus: 1, pids: 64, outputBytes: 16 << 20, logBytes: 1 << 20, gpus: 0 };

describe('local executor: pure parts', () => {
  it('builds prlimit arguments: file size, no cores, processes on top of the user\'s', () => {
    assert.deepEqual(prlimitArgs(limits, 40), [`--fsize=${16 << 20}`, '--core=0', '--nproc=104']);
    assert.deepEqual(prlimitArgs(limits, null), [`--fsize=${16 << 20}`, '--core=0']);
  });

  it('rewrites layout paths in the environment to the host folders', () => {
    const env = translateLayoutPaths(
      { HOLDOUT_DATA: '/code_execution/data', HOLDOUT_OUTPUT: '/code_execution/submission', X: '/code_execution/data/a.csv', Y: '/code_execution/database' },
      defaultLayout,
      { code: '/w/src', data: '/bundle/smoke', output: '/w/out' },
    );
    assert.deepEqual(env, { HOLDOUT_DATA: '/bundle/smoke', HOLDOUT_OUTPUT: '/w/out', X: '/bundle/smoke/a.csv', Y: '/code_execution/database' });
  });

  it('reads the process group of a stat line whose command name has spaces and parentheses', () => {
    assert.deepEqual(parseProcStat('123 (my (odd) prog) S 1 4567 4567 0 -1'), { pgrp: 4567 });
    assert.equal(parseVmRss('Name:\tx\nVmRSS:\t    2048 kB\n'), 2048 * 1024);
    assert.equal(parseVmRss('Name:\tkthread\n'), 0);
  });

  it('lists what is approximate, including an unused runtime', () => {
    const notes = localApproximations(limits, { prlimit: true, root: false, runtime: 'python-ml' });
    assert.ok(notes.some((n) => n.startsWith('memory (512 MiB)')));
    assert.ok(notes.some((n) => n.startsWith('network: not blocked')));
    assert.ok(notes.some((n) => n.includes('RLIMIT_NPROC')));
    assert.ok(notes.some((n) => n.startsWith('runtime "python-ml": not used')));
    assert.ok(localApproximations(limits, { prlimit: false, root: true }).some((n) => n.includes('prlimit')));
  });
});

describe('local executor: runs', { skip: process.platform !== 'linux' ? 'the local runner needs Linux' : false }, () => {
  const executor = new LocalExecutor({ workspaceRoot: path.join(os.tmpdir(), `holdout-local-test-${randomUUID()}`) });
  const scratch = path.join(os.tmpdir(), `holdout-local-scratch-${randomUUID()}`);
  before(() => mkdir(scratch, { recursive: true }));
  after(() => rm(scratch, { recursive: true, force: true }));

  async function run(source: string, over: Partial<Limits> = {}, signal?: AbortSignal): Promise<{ result: RunResult; log: string; live: string }> {
    const dir = path.join(scratch, randomUUID());
    await mkdir(path.join(dir, 'code'), { recursive: true });
    await mkdir(path.join(dir, 'data'));
    await writeFile(path.join(dir, 'code', 'main.py'), source);
    await writeFile(path.join(dir, 'data', 'x.csv'), 'id\n1\n');
    let live = '';
    const result = await executor.run({
      runId: `local-${randomUUID()}`,
      runtime: 'host',
      command: ['python', 'main.py'],
      codeDir: path.join(dir, 'code'),
      dataDir: path.join(dir, 'data'),
      layout: defaultLayout,
      limits: { ...limits, ...over },
      env: { HOLDOUT_DATA: defaultLayout.data, HOLDOUT_OUTPUT: defaultLayout.output },
      logPath: path.join(dir, 'log.txt'),
      onLog: (c) => (live += c.toString('utf8')),
      ...(signal ? { signal } : {}),
    });
    return { result, log: await readFile(path.join(dir, 'log.txt'), 'utf8'), live };
  }

  it('runs python main.py with the data and output folders named by HOLDOUT_DATA and HOLDOUT_OUTPUT', async () => {
    const source = [
      'import os, sys',
      'print(open(os.path.join(os.environ["HOLDOUT_DATA"], "x.csv")).read().strip(), flush=True)',
      'print("err", file=sys.stderr, flush=True)',
      'open(os.path.join(os.environ["HOLDOUT_OUTPUT"], "submission.csv"), "w").write("id,y\\n1,0\\n")',
      'print(os.path.realpath(sys.executable))',
    ].join('\n');
    const { result, log, live } = await run(source);
    try {
      assert.equal(result.outcome, 'exited');
      assert.equal(result.exitCode, 0, log);
      assert.match(log, /id\n1/);
      assert.match(log, /err/);
      assert.match(log, /\/usr\/bin\/python3/, 'python is Debian\'s python3, as in the sandbox');
      assert.equal(live, log);
      assert.equal(await readFile(path.join(result.outputDir, 'submission.csv'), 'utf8'), 'id,y\n1,0\n');
    } finally {
      await result.dispose();
    }
    await assert.rejects(access(result.outputDir), 'dispose removes the run\'s folder');
  });

  it('reports an exit code and a signal', async () => {
    const exited = await run('import sys\nsys.exit(3)');
    assert.deepEqual([exited.result.outcome, exited.result.exitCode, exited.result.signal], ['exited', 3, null]);
    await exited.result.dispose();
    const killed = await run('import os, signal\nos.kill(os.getpid(), signal.SIGTERM)');
    assert.deepEqual([killed.result.outcome, killed.result.exitCode, killed.result.signal], ['exited', null, 'SIGTERM']);
    await killed.result.dispose();
  });

  it('stops a run at the wall time, children included', async () => {
    const started = Date.now();
    const { result } = await run('import subprocess\nsubprocess.Popen(["sleep", "60"])\nwhile True:\n    pass', { wallTimeMs: 1500 });
    assert.equal(result.outcome, 'timeout');
    assert.ok(Date.now() - started < 8000);
    await result.dispose();
  });

  it('kills a run whose memory passes the limit', async () => {
    const { result } = await run('blocks = []\nwhile True:\n    blocks.append(bytearray(16 << 20))', { memoryBytes: 128 << 20 });
    assert.equal(result.outcome, 'out_of_memory');
    await result.dispose();
  });

  it('caps the log', async () => {
    const { result, log } = await run('print("x" * 100000)', { logBytes: 1000 });
    assert.equal(result.logTruncated, true);
    assert.match(log, /log truncated after 1000 bytes/);
    await result.dispose();
  });

  it('cancels a run through its signal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const { result } = await run('import time\ntime.sleep(30)', {}, controller.signal);
    assert.equal(result.outcome, 'cancelled');
    await result.dispose();
  });
});
