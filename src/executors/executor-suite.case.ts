import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultLayout } from '../domain/limits.js';
import type { Executor } from './executor.js';
import { isolationCases } from './executor-isolation.case.js';
import { processesWith, SuiteHarness } from './executor-suite-harness.case.js';

/** Options of `runExecutorSuite`. */
export interface ExecutorSuiteOptions {
  /** Skips the whole suite, with the reason (e.g. "no Docker engine on this host"). */
  skip?: string;
  /**
   * The executor reports CPU time and peak memory (from the run's cgroup); false: it must leave
   * them undefined, never zero.
   * @defaultValue true
   */
  measuresUsage?: boolean;
  /**
   * How much longer than a host executor this one may take to return a run, for the time a
   * cluster takes to schedule and start its job (the bounds on how soon a stopped run returns
   * are otherwise a host's, plus a loaded machine's start-up time). @defaultValue 1500
   */
  startSlackMs?: number;
}

/**
 * The behaviour every executor must have, as node:test tests running real Python programs
 * (`python main.py`, Debian's /usr/bin/python3 semantics) in the default layout.
 * @param makeExecutor - called once, before the tests
 */
export function runExecutorSuite(
  name: string,
  makeExecutor: () => Promise<Executor>,
  opts: ExecutorSuiteOptions = {},
): void {
  // Start-up time of a loaded machine (containers, two test files at once) on top of the limit and its grace.
  const slack = opts.startSlackMs ?? 1500;
  describe(`executor conformance: ${name}`, { skip: opts.skip ?? false }, () => {
    let executor: Executor;
    const scratch = path.join(os.tmpdir(), `holdout-suite-${randomUUID()}`);

    before(async () => {
      executor = await makeExecutor();
      await mkdir(scratch, { recursive: true });
    });
    after(async () => {
      await rm(scratch, { recursive: true, force: true });
    });

    const harness = new SuiteHarness(() => executor, scratch);
    const runPython = harness.runPython.bind(harness);
    const withRun = harness.withRun.bind(harness);

    it("mounts a host's harness and the code read-only, with data and output inside the code folder (layout: drivendata)", async () => {
      const layout = { code: '/code_execution', data: '/code_execution/data', output: '/code_execution/submission' };
      const run = [
        'import os, sys',
        'sys.path.insert(0, "/code_execution")',
        'import main',
        'for p in ["/holdout/harness/run.py", "/code_execution/main.py", "/code_execution/new.txt", "/holdout/new.txt"]:',
        '    try:',
        '        open(p, "a").close()',
        '        print("WRITABLE", p)',
        '    except OSError as e:',
        '        print("refused", p, e.errno)',
        'print("cwd", os.getcwd(), sorted(os.listdir(".")))',
        'open("submission/submission.csv", "w").write(main.answer(open("data/x.txt").read()))',
      ].join('\n');
      const options = { layout, codeReadOnly: true, codeFolders: ['data', 'submission'], data: { 'x.txt': 'features' }, harness: { files: { 'run.py': run }, command: ['python3', '/holdout/harness/run.py'] } };
      await withRun('def answer(text):\n    return "id,y\\n1," + text + "\\n"\n', options, async ({ result, log }) => {
        assert.equal(result.exitCode, 0, log);
        assert.doesNotMatch(log, /WRITABLE/);
        assert.equal(log.match(/refused/g)?.length, 4, log);
        assert.match(log, /cwd \/code_execution \['data', 'main.py', 'submission'\]/);
        assert.equal(await readFile(path.join(result.outputDir, 'submission.csv'), 'utf8'), 'id,y\n1,features\n');
      });
    });

    it('runs python main.py, logs its output and keeps its predictions', async () => {
      const source = [
        'import sys',
        'print("hello from the run", flush=True)',
        'print("to stderr", file=sys.stderr, flush=True)',
        `open("${defaultLayout.output}/submission.csv", "w").write("id,y\\n1,0.5\\n")`,
      ].join('\n');
      await withRun(source, {}, async ({ result, log, live }) => {
        assert.equal(result.outcome, 'exited');
        assert.equal(result.exitCode, 0);
        assert.equal(result.signal, null);
        assert.match(log, /hello from the run/);
        assert.match(log, /to stderr/);
        assert.equal(live, log);
        assert.equal(result.logBytes, Buffer.byteLength(log));
        assert.equal(result.logTruncated, false);
        const predictions = path.join(result.outputDir, 'submission.csv');
        assert.equal(await readFile(predictions, 'utf8'), 'id,y\n1,0.5\n');
        assert.notEqual((await lstat(predictions)).uid, 0, 'files the run writes are not owned by root');
      });
    });

    it('reports a nonzero exit code', async () => {
      await withRun('import sys\nsys.exit(3)', {}, ({ result }) => {
        assert.equal(result.outcome, 'exited');
        assert.equal(result.exitCode, 3);
        assert.equal(result.signal, null);
      });
    });

    it('measures CPU time and peak memory of the whole process tree, or leaves them unknown', async () => {
      // A child does the work: the counters must cover every process of the run, not the entry point's own.
      const child = 'import time\nblock = bytearray(96 << 20)\nfor i in range(0, len(block), 4096): block[i] = 1\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass';
      await withRun(`import subprocess, sys\nsubprocess.run([sys.executable, "-c", ${JSON.stringify(child)}], check=True)`, {}, ({ result }) => {
        assert.equal(result.outcome, 'exited');
        assert.equal(result.exitCode, 0);
        const usage = result.usage;
        if (opts.measuresUsage === false) {
          assert.equal(usage?.cpuMs, undefined);
          assert.equal(usage?.peakMemoryBytes, undefined);
          return;
        }
        assert.ok(usage, 'usage is reported');
        assert.equal(usage.wallMs, result.wallMs);
        assert.ok((usage.cpuMs ?? 0) >= 350, `cpuMs ${usage.cpuMs}`);
        assert.ok((usage.peakMemoryBytes ?? 0) >= 96 << 20, `peakMemoryBytes ${usage.peakMemoryBytes}`);
        assert.ok((usage.peakMemoryBytes ?? 0) <= 2 * 1024 ** 3, `peakMemoryBytes ${usage.peakMemoryBytes} within the limit`);
        assert.equal(usage.gpuMs, undefined, 'no GPU, no GPU time');
      });
    });

    it('reports the signal that ended the entry point', async () => {
      await withRun('import os, signal\nos.kill(os.getpid(), signal.SIGTERM)', {}, ({ result }) => {
        assert.equal(result.outcome, 'exited');
        assert.equal(result.exitCode, null);
        assert.equal(result.signal, 'SIGTERM');
      });
    });

    it('stops an endless loop at the wall time limit', async () => {
      await withRun('while True:\n    pass', { limits: { wallTimeMs: 2000 } }, ({ result, elapsedMs }) => {
        assert.equal(result.outcome, 'timeout');
        assert.ok(result.wallMs >= 1900, `wallMs ${result.wallMs}`);
        assert.ok(elapsedMs < 2000 + 1500 + slack, `returned after ${elapsedMs} ms`);
      });
    });

    it('kills a memory bomb at the memory limit', async () => {
      const source = 'blocks = []\nwhile True:\n    blocks.append(b"\\x01" * (8 << 20))';
      await withRun(source, { limits: { memoryBytes: 128 << 20 } }, ({ result }) => {
        assert.equal(result.outcome, 'out_of_memory');
      });
    });

    it('reports out_of_memory when a child was killed even if the entry point exits 0', async () => {
      const source = [
        'import subprocess, sys',
        'child = "blocks = []\\nwhile True:\\n    blocks.append(bytes([1]) * (8 << 20))"',
        'print("child status", subprocess.run([sys.executable, "-c", child]).returncode, flush=True)',
      ].join('\n');
      await withRun(source, { limits: { memoryBytes: 128 << 20 } }, ({ result, log }) => {
        assert.match(log, /child status -9/);
        assert.equal(result.outcome, 'out_of_memory');
      });
    });

    it('holds a fork bomb at the pids limit and ends the run', async () => {
      const source = [
        'import os, time',
        // Processes of the run's own user: an executor's init or monitor does not count.
        'def owner(p):',
        '    try:',
        '        return os.stat(f"/proc/{p}").st_uid',
        '    except OSError:',
        '        return None',
        'def mine():',
        '    return [p for p in os.listdir("/proc") if p.isdigit() and owner(p) == os.getuid()]',
        'end = time.time() + 1.5',
        'most = 0',
        'while time.time() < end:',
        '    try:',
        '        pid = os.fork()',
        '    except OSError:',
        '        most = max(most, len(mine()))',
        '        continue',
        '    if pid == 0:',
        '        while True:',
        '            try:',
        '                os.fork()',
        '            except OSError:',
        '                time.sleep(0.01)',
        'print("most processes seen", most, flush=True)',
      ].join('\n');
      await withRun(source, { limits: { pids: 16, wallTimeMs: 10_000 } }, async ({ result, log, elapsedMs }) => {
        assert.equal(result.outcome, 'exited');
        const most = Number(/most processes seen (\d+)/.exec(log)?.[1]);
        assert.ok(most > 1 && most <= 16, `saw ${most} processes`);
        assert.ok(elapsedMs < 8000 + slack, `returned after ${elapsedMs} ms`);
      });
    });

    it('leaves no process behind (double-forked, setsid, ignoring SIGTERM)', async () => {
      const token = `orphan-${randomUUID()}`;
      const source = [
        'import os, signal, sys, time',
        'if os.fork() == 0:',
        '    os.setsid()',
        '    if os.fork() == 0:',
        '        signal.signal(signal.SIGTERM, signal.SIG_IGN)',
        `        os.execvp(sys.executable, [sys.executable, "-c", "import time\\nwhile True: time.sleep(1)", "${token}"])`,
        '    os._exit(0)',
        'time.sleep(0.5)',
        'alive = [p for p in os.listdir("/proc") if p.isdigit() and TOKEN in open(f"/proc/{p}/cmdline", "rb").read()]',
        'print("orphans alive", len(alive), flush=True)',
      ].join('\n').replace('TOKEN', `b"${token}"`);
      await withRun(source, {}, async ({ result, log }) => {
        assert.equal(result.outcome, 'exited');
        assert.match(log, /orphans alive 1/);
        // The token is in the orphan's command line, however the executor maps users and pids.
        assert.deepEqual(await processesWith(token), []);
      });
    });

    it('caps the log, keeps the run going and marks the truncation', async () => {
      const source = 'import sys\nline = b"x" * 1023 + b"\\n"\nfor _ in range(50 * 1024):\n    sys.stdout.buffer.write(line)';
      const cap = 1 << 20;
      await withRun(source, { limits: { logBytes: cap } }, async ({ result, log, live }) => {
        assert.equal(result.outcome, 'exited');
        assert.equal(result.exitCode, 0);
        assert.equal(result.logTruncated, true);
        assert.equal(result.logBytes, cap);
        assert.equal(Buffer.byteLength(live), cap);
        assert.ok(Buffer.byteLength(log) <= cap + 200, `log is ${Buffer.byteLength(log)} bytes`);
        assert.match(log.slice(-200), /truncated/);
      });
    });

    it('fails writes past the output quota and still judges the run', async () => {
      const source = [
        'import os',
        `out = "${defaultLayout.output}"`,
        'try:',
        '    with open(out + "/big.bin", "wb") as f:',
        '        for _ in range(64):',
        '            f.write(b"\\0" * (64 << 10))',
        '            f.flush()',
        '    print("quota not enforced", flush=True)',
        'except OSError as e:',
        '    print("write failed", e.errno, flush=True)',
        'os.remove(out + "/big.bin")',
        'open(out + "/submission.csv", "w").write("id,y\\n")',
      ].join('\n');
      await withRun(source, { limits: { outputBytes: 1 << 20 } }, async ({ result, log }) => {
        assert.equal(result.outcome, 'exited');
        assert.equal(result.exitCode, 0, log);
        assert.match(log, /write failed/);
        assert.equal(await readFile(path.join(result.outputDir, 'submission.csv'), 'utf8'), 'id,y\n');
      });
    });

    isolationCases(harness, scratch);

    it('is cancelled through its AbortSignal', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 500);
      await withRun('import time\ntime.sleep(30)', { signal: controller.signal }, ({ result, elapsedMs }) => {
        assert.equal(result.outcome, 'cancelled');
        assert.ok(elapsedMs < 5000 + slack, `returned after ${elapsedMs} ms`);
      });
      await withRun('print("never")', { signal: AbortSignal.abort() }, ({ result }) => {
        assert.equal(result.outcome, 'cancelled');
      });
    });

    it('removes the workspace on dispose, idempotently', async () => {
      const run = await runPython(`open("${defaultLayout.output}/p.csv", "w").write("x")`);
      assert.equal(run.result.outcome, 'exited');
      assert.ok((await stat(run.result.outputDir)).isDirectory());
      await run.result.dispose();
      await assert.rejects(stat(run.result.outputDir), { code: 'ENOENT' });
      await run.result.dispose();
    });

    it('rejects an unknown runtime', async () => {
      await assert.rejects(runPython('print(1)', { runtime: `no-such-runtime-${randomUUID()}` }), /runtime/);
    });
  });
}
