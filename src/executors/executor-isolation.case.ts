import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile, lstat } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { defaultLayout } from '../domain/limits.js';
import { processesWith, type SuiteHarness } from './executor-suite-harness.case.js';

/**
 * The conformance cases on what a run cannot reach: the network, the data's write side, host
 * files, host environment, privileges, descriptors, namespaces. Called inside the suite's describe.
 */
export function isolationCases(harness: SuiteHarness, scratch: string): void {
  const runPython = harness.runPython.bind(harness);
  const withRun = harness.withRun.bind(harness);

  it('has no network: only lo, and a host server sees no connection', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const source = [
      'import socket',
      // /proc/net/dev rather than if_nameindex(), which needs netlink (a seccomp filter may deny it).
      'names = [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]]',
      'print("interfaces", names, flush=True)',
      'try:',
      `    socket.create_connection(("127.0.0.1", ${port}), timeout=3)`,
      '    print("connected", flush=True)',
      'except OSError as e:',
      '    print("no connection", e, flush=True)',
    ].join('\n');
    try {
      await withRun(source, {}, ({ result, log }) => {
        assert.equal(result.outcome, 'exited');
        assert.match(log, /interfaces \['lo'\]/);
        assert.match(log, /no connection/);
        assert.equal(connections, 0);
      });
    } finally {
      server.close();
    }
  });

  it('mounts the data read-only and readable', async () => {
    const source = [
      `data = "${defaultLayout.data}"`,
      'print("read", open(data + "/features.csv").read().strip(), flush=True)',
      'for target in ("/features.csv", "/new.txt"):',
      '    try:',
      '        open(data + target, "a").write("x")',
      '        print("wrote", target, flush=True)',
      '    except OSError as e:',
      '        print("refused", target, e.errno, flush=True)',
    ].join('\n');
    await withRun(source, { data: { 'features.csv': 'id,f\n1,2\n' } }, ({ result, log }) => {
      assert.equal(result.outcome, 'exited');
      assert.match(log, /read id,f\n1,2/);
      assert.doesNotMatch(log, /wrote/);
      assert.match(log, /refused \/features.csv/);
      assert.match(log, /refused \/new.txt/);
    });
  });

  it('hides host files: a labels file, the host working folder', async () => {
    const hidden = path.join(scratch, `labels-${randomUUID()}`);
    await mkdir(hidden);
    await writeFile(path.join(hidden, 'labels.csv'), 'id,y\n1,1\n');
    const paths = [path.join(hidden, 'labels.csv'), hidden, scratch, process.cwd()];
    const source = `import os\nfor p in ${JSON.stringify(paths)}:\n    print("exists" if os.path.exists(p) else "absent", p, flush=True)`;
    await withRun(source, {}, ({ result, log }) => {
      assert.equal(result.outcome, 'exited');
      assert.doesNotMatch(log, /^exists/m);
      assert.equal(log.match(/^absent/gm)?.length, paths.length);
    });
  });

  it('passes no host environment variables, only its own and the spec env', async () => {
    const canary = `canary-${randomUUID()}`;
    process.env.HOLDOUT_SUITE_CANARY = canary;
    const source = [
      'import os',
      'print(dict(os.environ), flush=True)',
      'for pid in [p for p in os.listdir("/proc") if p.isdigit()]:',
      '    try:',
      '        print(pid, open(f"/proc/{pid}/environ", "rb").read(), flush=True)',
      '    except OSError:',
      '        pass',
    ].join('\n');
    try {
      await withRun(source, { env: { HOLDOUT_RUN_VAR: 'visible' } }, ({ result, log }) => {
        assert.equal(result.outcome, 'exited');
        assert.match(log, /HOLDOUT_RUN_VAR/);
        assert.doesNotMatch(log, new RegExp(canary));
        assert.doesNotMatch(log, /HOLDOUT_SUITE_CANARY/);
      });
    } finally {
      delete process.env.HOLDOUT_SUITE_CANARY;
    }
  });

  it('runs as an unprivileged user without capabilities, with writable /tmp and /dev/shm', async () => {
    const source = [
      'import getpass, multiprocessing, os',
      'print("uid", os.getuid(), os.geteuid(), "user", getpass.getuser(), flush=True)',
      'caps = dict(l.split(":\\t") for l in open("/proc/self/status").read().splitlines() if l.startswith("Cap"))',
      'print("CapEff", caps["CapEff"], "CapPrm", caps["CapPrm"], flush=True)',
      'open("/tmp/x", "w").write("x")',
      'multiprocessing.Lock()',
      'print("scratch ok", flush=True)',
    ].join('\n');
    await withRun(source, {}, ({ result, log }) => {
      assert.equal(result.exitCode, 0, log);
      const [, uid, euid] = /uid (\d+) (\d+)/.exec(log) ?? [];
      assert.notEqual(Number(uid), 0);
      assert.notEqual(Number(euid), 0);
      assert.match(log, /CapEff 0000000000000000 CapPrm 0000000000000000/);
      assert.match(log, /scratch ok/);
    });
  });

  it('inherits no descriptor but stdin, stdout and stderr', async () => {
    // Without a leak, the listing's own descriptor (3) is the highest.
    const source = 'import os\nfds = sorted(int(f) for f in os.listdir("/proc/self/fd"))\nprint("fds", fds[:-1], flush=True)';
    await withRun(source, {}, ({ result, log }) => {
      assert.equal(result.exitCode, 0, log);
      assert.match(log, /fds \[0, 1, 2\]/);
    });
  });

  it('cannot create a user namespace of its own', async () => {
    const source = [
      'import subprocess',
      'r = subprocess.run(["unshare", "--user", "--map-root-user", "id", "-u"], capture_output=True, text=True)',
      'print("unshare exit", r.returncode, r.stdout.strip(), flush=True)',
    ].join('\n');
    await withRun(source, {}, ({ result, log }) => {
      assert.equal(result.exitCode, 0, log);
      assert.doesNotMatch(log, /unshare exit 0/);
    });
  });
}
