import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertRefused, attemptOf, reportOf, startBench, type AttackBench } from './attack-harness.js';

describe('attack: kernel surface', () => {
  let b: AttackBench;
  let report: Record<string, unknown>;
  let final: Record<string, unknown>;

  before(async () => {
    b = await startBench();
    const id = await b.submit('kernel');
    final = await b.final(id);
    report = reportOf(await b.storedLog(id));
  });
  after(() => b.close());

  it('runs to the end', () => {
    assert.equal(final.status, 'scored', JSON.stringify(final));
  });

  it('runs as an unprivileged uid of the reserved range, with no capabilities at all', () => {
    const id = report.identity as { uid: number; euid: number; gid: number; groups: number[]; caps: Record<string, string>; no_new_privs: string; seccomp: string };
    assert.ok(id.uid >= b.uidRange[0] && id.uid <= b.uidRange[1], `uid ${id.uid} outside ${b.uidRange.join('-')}`);
    assert.equal(id.euid, id.uid);
    assert.equal(id.gid, id.uid, 'gid matches the uid');
    assert.deepEqual(id.groups, [], 'no supplementary groups');
    for (const [name, value] of Object.entries(id.caps)) assert.match(value, /^0+$/, `${name} is ${value}`);
    assert.equal(id.no_new_privs, '1', 'no_new_privs is set');
    assert.equal(id.seccomp, '2', 'a seccomp filter is loaded');
  });

  it('cannot create user (or any) namespaces', () => {
    for (const name of ['unshare_user', 'unshare_mount', 'unshare_net', 'setns']) assertRefused(report, name, ['EPERM']);
    assertRefused(report, 'clone3', ['ENOSYS']);
    assertRefused(report, 'unshare_tool');
  });

  it('cannot mount, unmount, pivot_root or chroot', () => {
    for (const name of ['mount_tmpfs', 'mount_proc', 'umount_data', 'fsopen', 'pivot_root', 'chroot']) assertRefused(report, name, ['EPERM']);
  });

  it('cannot become root', () => {
    assertRefused(report, 'setuid_root', ['EPERM']);
  });

  it('cannot load BPF programs or create BPF maps', () => {
    assertRefused(report, 'bpf_prog_load', ['EPERM']);
    assertRefused(report, 'bpf_map_create', ['EPERM']);
  });

  it('cannot use the kernel keyrings', () => {
    assertRefused(report, 'add_key', ['EPERM']);
    assertRefused(report, 'keyctl_read_session', ['EPERM']);
  });

  it('cannot ptrace the sandbox init, its own child or itself, nor read their memory', () => {
    for (const name of ['ptrace_attach_pid1', 'ptrace_attach_child', 'ptrace_traceme']) assertRefused(report, name, ['EPERM']);
    assertRefused(report, 'process_vm_readv_pid1', ['EACCES', 'EPERM']);
  });

  it('cannot open raw, packet or netlink sockets', () => {
    for (const name of ['socket_raw_icmp', 'socket_raw_ipv6', 'socket_packet', 'socket_netlink_route', 'socket_netlink_audit']) {
      assertRefused(report, name, ['EPERM']);
    }
  });

  it('cannot push input into a terminal (TIOCSTI), even its own controlling one', () => {
    assertRefused(report, 'tiocsti', ['EPERM']);
  });

  it('cannot use perf events, io_uring, userfaultfd, file handles, modules, kexec or the kernel log', () => {
    for (const name of ['perf_event_open', 'io_uring_setup', 'userfaultfd', 'open_by_handle_at', 'init_module', 'kexec_load', 'syslog_read']) {
      assertRefused(report, name, ['EPERM']);
    }
  });

  it('cannot write kernel settings or trigger sysrq', () => {
    assertRefused(report, 'sysrq_trigger');
    assertRefused(report, 'write_proc_sys', ['EACCES', 'EROFS']);
  });

  it('is killed for a 32-bit system call (int 0x80), which a 64-bit filter cannot read', () => {
    const a = attemptOf(report, 'int80_compat_syscall');
    assert.equal(a.succeeded, false, `int 0x80 worked: ${a.detail ?? ''}`);
    assert.match(a.error ?? '', /returncode -31/, 'killed by SIGSYS');
  });
});
