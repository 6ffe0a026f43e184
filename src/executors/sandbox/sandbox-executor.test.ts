import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultLayout } from '../../domain/limits.js';
import { runExecutorSuite } from '../executor-suite.case.js';
import { buildBwrapArgs, type BwrapArgsInput, sandboxEnvironment } from './bwrap-args.js';
import { chooseCgroupLayout, parseCgroupMounts } from '../host/cgroups.js';
import { missingHostRequirements } from './host-check.js';
import { buildLauncherArgs } from './launcher-args.js';
import { decideOutcome } from '../host/run-outcome.js';
import { SandboxExecutor } from './sandbox-executor.js';
import { runName, runOwner } from '../host/stale-runs.js';
import { hostRuntime, resolveSandboxRuntime } from './sandbox-runtime.js';
import { UidPool } from '../host/uid-pool.js';

const unsupported = missingHostRequirements();
const workspaceRoot = path.join(os.tmpdir(), `holdout-sandbox-test-${randomUUID()}`);
after(() => rmSync(workspaceRoot, { recursive: true, force: true }));
runExecutorSuite(
  'sandbox',
  async () => {
    const executor = new SandboxExecutor({ workspaceRoot });
    await executor.check();
    return executor;
  },
  unsupported.length > 0 ? { skip: `host cannot run sandboxes: ${unsupported.join('; ')}` } : {},
);

const input: BwrapArgsInput = {
  rootArgs: hostRuntime.rootArgs,
  layout: defaultLayout,
  hostPaths: { code: '/ws/src', output: '/ws/output', data: '/data' },
  etcFiles: { passwd: '/run/passwd', group: '/run/group', hosts: '/run/hosts' },
  uid: 61005,
  command: ['python', 'main.py'],
  env: { IS_SMOKE: '1' },
  statusFd: 3,
};

/** The argument following each occurrence of `flag`, as [flag, a, b] triples. */
function pairs(args: readonly string[], flag: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  args.forEach((a, i) => {
    if (a === flag) out.push([args[i + 1] ?? '', args[i + 2] ?? '']);
  });
  return out;
}

describe('buildBwrapArgs', () => {
  const args = buildBwrapArgs(input);
  const separator = args.indexOf('--');

  it('unshares everything but the user namespace and dies with its parent', () => {
    for (const flag of ['--unshare-net', '--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup', '--die-with-parent', '--new-session']) {
      assert.ok(args.includes(flag), flag);
    }
    assert.ok(!args.includes('--unshare-user') && !args.includes('--unshare-all') && !args.includes('--uid'));
  });

  it('binds code and output read-write, data read-only, at the layout paths', () => {
    assert.deepEqual(pairs(args, '--bind'), [
      ['/ws/src', '/code_execution/src'],
      ['/ws/output', '/code_execution/submission'],
    ]);
    assert.ok(pairs(args, '--ro-bind').some(([src, dest]) => src === '/data' && dest === '/code_execution/data'));
    assert.deepEqual(args.slice(args.indexOf('--chdir'), args.indexOf('--chdir') + 2), ['--chdir', '/code_execution/src']);
  });

  it('creates the layout parents world-readable before binding, and makes / read-only last', () => {
    const dir = args.indexOf('/code_execution');
    assert.deepEqual(args.slice(dir - 3, dir + 1), ['--perms', '0755', '--dir', '/code_execution']);
    assert.ok(dir < args.indexOf('--bind'));
    assert.ok(args.lastIndexOf('--remount-ro') > args.lastIndexOf('--bind'));
    assert.equal(args[args.lastIndexOf('--remount-ro') + 1], '/');
  });

  it('binds the synthetic /etc files and nothing else of the host /etc but the runtime ones', () => {
    const etc = [...pairs(args, '--ro-bind'), ...pairs(args, '--ro-bind-try')].filter(([, dest]) => dest.startsWith('/etc'));
    assert.deepEqual(etc.map(([, dest]) => dest).sort(), [
      '/etc/alternatives', '/etc/fonts', '/etc/group', '/etc/hosts', '/etc/ld.so.cache', '/etc/matplotlibrc', '/etc/passwd',
    ]);
    assert.deepEqual(pairs(args, '--ro-bind').find(([, d]) => d === '/etc/passwd'), ['/run/passwd', '/etc/passwd']);
  });

  it('hides /usr/local and gives writable /tmp and /dev/shm', () => {
    const tmpfs = args.flatMap((a, i) => (a === '--tmpfs' ? [args[i + 1]] : []));
    assert.deepEqual(tmpfs, ['/usr/local', '/dev/shm', '/tmp']);
    assert.equal(args[args.indexOf('/tmp') - 2], '1777');
  });

  it('clears the environment and sets only the base and the spec variables', () => {
    assert.ok(args.indexOf('--clearenv') < separator);
    assert.deepEqual(pairs(args, '--setenv'), [
      ['PATH', '/usr/local/bin:/usr/bin:/bin'],
      ['HOME', '/tmp'],
      ['LANG', 'C.UTF-8'],
      ['IS_SMOKE', '1'],
    ]);
    assert.throws(() => sandboxEnvironment({ 'A=B': 'x' }), /invalid environment/);
  });

  it('drops to the run uid with setpriv, with no capabilities, then runs the command', () => {
    assert.deepEqual(args.slice(separator + 1), [
      '/usr/bin/setpriv', '--reuid', '61005', '--regid', '61005', '--clear-groups',
      '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--', 'python', 'main.py',
    ]);
  });

  it('passes the status and seccomp descriptors when given', () => {
    assert.equal(args[args.indexOf('--json-status-fd') + 1], '3');
    assert.ok(!args.includes('--seccomp'));
    const withSeccomp = buildBwrapArgs({ ...input, seccompFd: 4 });
    assert.equal(withSeccomp[withSeccomp.indexOf('--seccomp') + 1], '4');
  });

  it('refuses unusable layouts, commands and uids', () => {
    assert.throws(() => buildBwrapArgs({ ...input, layout: { ...defaultLayout, data: 'data' } }), /layout.data/);
    assert.throws(() => buildBwrapArgs({ ...input, layout: { ...defaultLayout, code: '/a/../usr' } }), /layout.code/);
    assert.throws(() => buildBwrapArgs({ ...input, layout: { ...defaultLayout, output: '/usr/out' } }), /overlaps \/usr/);
    assert.throws(() => buildBwrapArgs({ ...input, layout: { ...defaultLayout, output: defaultLayout.code } }), /different/);
    assert.throws(() => buildBwrapArgs({ ...input, command: [] }), /command/);
    assert.throws(() => buildBwrapArgs({ ...input, uid: 0 }), /uid/);
  });

  it('binds an outer folder before one nested in it', () => {
    const nested = buildBwrapArgs({ ...input, layout: { code: '/w/src', data: '/w/src/data', output: '/w/out' } });
    const binds = nested.flatMap((a, i) => (a === '--bind' || a === '--ro-bind' ? [nested[i + 2]] : []));
    assert.ok(binds.indexOf('/w/src') < binds.indexOf('/w/src/data'));
  });
});

describe('buildLauncherArgs', () => {
  it('passes the cgroup files, the kept descriptors and the program to bash', () => {
    const { file, args } = buildLauncherArgs({ procsFiles: ['/a/cgroup.procs', '/b/cgroup.procs'], keepFds: [3, 4], argv: ['/usr/bin/bwrap', '--x'] });
    assert.equal(file, '/bin/bash');
    assert.deepEqual(args.slice(2), ['holdout-launcher', '2', '/a/cgroup.procs', '/b/cgroup.procs', '3 4', '/usr/bin/bwrap', '--x']);
  });
});

describe('cgroup layout detection', () => {
  const hybrid = [
    'tmpfs /sys/fs/cgroup tmpfs rw 0 0',
    'cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0',
    'cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0',
    'cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0',
    'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0',
  ].join('\n');

  it('uses v1 hierarchies for limits and the unified tree for kills on hybrid hosts', () => {
    assert.deepEqual(chooseCgroupLayout(parseCgroupMounts(hybrid), [], true), {
      kind: 'v1',
      controllers: { memory: '/sys/fs/cgroup/memory', pids: '/sys/fs/cgroup/pids', cpu: '/sys/fs/cgroup/cpu' },
      unified: '/sys/fs/cgroup/unified',
    });
    const noKill = chooseCgroupLayout(parseCgroupMounts(hybrid), [], false);
    assert.ok('kind' in noKill && noKill.kind === 'v1' && noKill.unified === null);
  });

  it('uses one cgroup on pure v2 hosts, and says what is missing otherwise', () => {
    const v2 = parseCgroupMounts('cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0');
    assert.deepEqual(chooseCgroupLayout(v2, ['cpu', 'io', 'memory', 'pids'], true), { kind: 'v2', root: '/sys/fs/cgroup' });
    assert.deepEqual(chooseCgroupLayout(v2, ['cpu', 'io'], true), {
      missing: ['cgroup2 controller "memory" at /sys/fs/cgroup', 'cgroup2 controller "pids" at /sys/fs/cgroup'],
    });
  });

  it('decodes escaped mount points', () => {
    assert.equal(parseCgroupMounts('cgroup2 /a\\040b cgroup2 rw 0 0').v2, '/a b');
  });
});

describe('decideOutcome', () => {
  const base = { cancelled: false, timedOut: false, oomKills: 0, status: 0 };
  it('reads exit codes and signal deaths', () => {
    assert.deepEqual(decideOutcome({ ...base, status: 3 }), { outcome: 'exited', exitCode: 3, signal: null });
    assert.deepEqual(decideOutcome({ ...base, status: 143 }), { outcome: 'exited', exitCode: null, signal: 'SIGTERM' });
  });
  it('prefers cancellation, then OOM kills, then the timer', () => {
    assert.equal(decideOutcome({ ...base, cancelled: true, oomKills: 1, timedOut: true }).outcome, 'cancelled');
    assert.equal(decideOutcome({ ...base, oomKills: 1, timedOut: true }).outcome, 'out_of_memory');
    assert.equal(decideOutcome({ ...base, oomKills: 1, status: 0 }).outcome, 'out_of_memory');
    assert.equal(decideOutcome({ ...base, timedOut: true, status: null }).outcome, 'timeout');
  });
});

describe('runtimes and uids', () => {
  it('resolves "host" and rejects unknown runtimes', () => {
    assert.equal(resolveSandboxRuntime('host'), hostRuntime);
    assert.throws(() => resolveSandboxRuntime('toString'), /unknown runtime "toString".*host/);
  });

  it('hands out distinct uids, across pools too, and reuses released ones last', () => {
    const lockDir = path.join(os.tmpdir(), `holdout-uids-${randomUUID()}`);
    const a = new UidPool(70000, 70002, lockDir);
    const b = new UidPool(70000, 70002, lockDir);
    const [x, y] = [a.acquire(), b.acquire()];
    assert.notEqual(x, y);
    const z = a.acquire();
    assert.throws(() => b.acquire(), /in use/);
    a.release(z);
    assert.equal(b.acquire(), z);
    for (const uid of [x, y, z]) a.release(uid);
    rmSync(lockDir, { recursive: true, force: true });
  });
});

describe('run names', () => {
  it('record the owning worker, so what a dead worker left can be told apart', () => {
    const name = runName('3f2a-1', 'deadbeef', 4242, '4026531836');
    assert.equal(name, '3f2a-1-w4026531836.39u-deadbeef');
    assert.deepEqual(runOwner(name), { pidNamespace: '4026531836', pid: 4242 });
    assert.equal(runOwner('3f2a-1-deadbeef'), undefined, 'names of older versions are left alone');
    assert.equal(runOwner('check-0a1b2c3d'), undefined);
  });
});
