import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultLayout } from '../../domain/limits.js';
import { containerCreateBody } from './container-spec.js';
import { FrameReader } from './frames.js';
import { buildSeccompProfile } from './seccomp-profile.js';

const limits = { wallTimeMs: 1000, memoryBytes: 64 << 20, cpus: 0.5, pids: 16, outputBytes: 1 << 20, logBytes: 4096, gpus: 0 };
const input = {
  spec: { command: ['python', 'main.py'], layout: defaultLayout, limits, env: { HOLDOUT_SMOKE: '1' }, dataDir: '/host/data' },
  image: `sha256:${'a'.repeat(64)}`,
  runtimeBinds: ['/usr:/usr:ro'],
  workspace: { src: '/ws/src', output: '/ws/output', etcFiles: { passwd: '/ws/passwd', group: '/ws/group', hosts: '/ws/hosts' } },
  logPipe: '/ws/log.fifo',
  launcher: { argv: ['/.holdout/ld.so', '--library-path', '/.holdout/lib', '/.holdout/setpriv'], files: [{ source: '/usr/bin/setpriv', target: '/.holdout/setpriv' }] },
  uid: 61005,
  cgroupParent: '/holdout-docker/run-1',
  seccomp: '/files/seccomp.json',
  labels: { 'holdout.run': 'run-1' },
};

describe('the container of a run', () => {
  it('has no network, a read-only root, only the run folders writable, and the limits', () => {
    const body = containerCreateBody(input) as { HostConfig: Record<string, unknown>; Cmd: string[]; User: string; Env: string[] };
    const host = body.HostConfig;
    assert.equal(host.NetworkMode, 'none');
    assert.equal(host.ReadonlyRootfs, true);
    assert.deepEqual(host.CapDrop, ['ALL']);
    assert.deepEqual(host.SecurityOpt, ['no-new-privileges', 'seccomp=/files/seccomp.json']);
    assert.equal(host.CgroupParent, '/holdout-docker/run-1');
    assert.equal(host.PidsLimit, 16);
    assert.equal(host.NanoCpus, 5e8);
    assert.equal(host.Memory, undefined, 'the memory limit is the parent cgroup\'s, where OOM kills are seen');
    const binds = host.Binds as string[];
    assert.ok(binds.includes('/host/data:/code_execution/data:ro'));
    assert.ok(binds.includes('/usr/bin/setpriv:/.holdout/setpriv:ro'), 'the host\'s setpriv');
    assert.deepEqual(binds.filter((b) => b.endsWith(':rw')), ['/ws/src:/code_execution/src:rw', '/ws/output:/code_execution/submission:rw', '/ws/log.fifo:/dev/holdout-log:rw']);
    // Root only for setpriv, which drops to the run's uid before the entry point.
    assert.equal(body.User, '0:0');
    assert.deepEqual(body.Cmd.slice(3, 9), ['/.holdout/setpriv', '--reuid=61005', '--regid=61005', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all']);
    assert.deepEqual(body.Cmd.slice(-2), ['python', 'main.py']);
    assert.ok(body.Env.includes('HOLDOUT_SMOKE=1') && body.Env.includes('HOME=/tmp'));
  });

  it('refuses a layout that would shadow the runtime', () => {
    assert.throws(() => containerCreateBody({ ...input, spec: { ...input.spec, layout: { ...defaultLayout, data: '/usr/data' } } }), /overlaps \/usr/);
  });
});

describe('the attach stream', () => {
  it('hands on payloads in order, whatever the chunking', () => {
    const frame = (type: number, text: string) => {
      const head = Buffer.alloc(8);
      head[0] = type;
      head.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([head, Buffer.from(text)]);
    };
    const all = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err\n'), frame(1, 'out 2\n')]);
    for (const size of [1, 3, 8, 9, all.length]) {
      const seen: string[] = [];
      const reader = new FrameReader((c) => seen.push(c.toString()));
      for (let i = 0; i < all.length; i += size) reader.push(all.subarray(i, i + size));
      assert.equal(seen.join(''), 'out 1\nerr\nout 2\n', `chunks of ${size}`);
    }
  });
});

describe('the seccomp profile', () => {
  it('refuses what the sandbox refuses, on the native architecture only', () => {
    const profile = buildSeccompProfile('x64') as { defaultAction: string; architectures: string[]; syscalls: { names: string[]; errnoRet: number; args?: unknown[] }[] };
    assert.deepEqual(profile.architectures, ['SCMP_ARCH_X86_64']);
    const always = profile.syscalls.filter((r) => !r.args).flatMap((r) => r.names);
    for (const name of ['unshare', 'setns', 'mount', 'ptrace', 'bpf', 'keyctl', 'io_uring_setup', 'userfaultfd']) assert.ok(always.includes(name), name);
    assert.ok(profile.syscalls.some((r) => r.names.includes('clone') && r.args), 'clone only with CLONE_NEWUSER');
    assert.throws(() => buildSeccompProfile('ia32'), /no seccomp profile/);
  });
});
