// A classic BPF seccomp program, as bwrap's `--seccomp FD` reads it: an array of
// struct sock_filter { u16 code; u8 jt; u8 jf; u32 k } in the host's byte order (little-endian
// on both supported architectures).

import { AF_NETLINK, AF_PACKET, CLONE_NEWUSER, ENOSYS, EPERM, O_CREAT, O_TMPFILE_BIT, SOCK_RAW, SOCK_TYPE_MASK, TIOCLINUX, TIOCSTI } from '../host/seccomp-constants.js';

const ldAbsW = 0x20; // BPF_LD | BPF_W | BPF_ABS
const jeqK = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const jgeK = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const jsetK = 0x45; // BPF_JMP | BPF_JSET | BPF_K
const andK = 0x54; // BPF_ALU | BPF_AND | BPF_K
const retK = 0x06; // BPF_RET | BPF_K

const retAllow = 0x7fff0000;
const retKillProcess = 0x80000000;
const retErrno = (errno: number): number => 0x00050000 | errno;

// Offsets in struct seccomp_data; arguments are u64, of which the low word is read (the kernel
// itself reads ioctl requests, socket domains and types as 32-bit ints).
const offNr = 0;
const offArch = 4;
const offArg = (i: number): number => 16 + 8 * i;

const X32_SYSCALL_BIT = 0x40000000;
const S_ISUID_ISGID = 0o6000;
// O_CREAT | __O_TMPFILE, the same on x86_64 and aarch64: the open flags that create a file.
const CREATES = O_CREAT | O_TMPFILE_BIT;

/** System call numbers the filter needs, per architecture (from the kernel's unistd headers). */
interface SyscallTable {
  auditArch: number;
  /** Denied with EPERM whatever their arguments. */
  denied: readonly number[];
  clone: number;
  clone3: number;
  ioctl: number;
  socket: number;
  /**
   * Calls that set a file's mode, with the index of the mode argument and, for the open family,
   * of the flags that decide whether a file is created (the mode means nothing otherwise).
   */
  modeSetters: readonly { nr: number; mode: number; createFlags?: number }[];
  /** x86_64 also accepts x32 system calls (numbers with bit 30 set); they are all denied. */
  x32: boolean;
}

// Numbers 424 and up are shared by all architectures: io_uring_*, the new mount API, clone3.
const shared = { ioUring: [425, 426, 427], mountApi: [428, 429, 430, 431, 432, 433, 442], clone3: 435, openat2: 437, fchmodat2: 452 };

const x8664: SyscallTable = {
  auditArch: 0xc000003e,
  // ptrace syslog pivot_root mount umount2 init_module delete_module kexec_load add_key
  // request_key keyctl unshare perf_event_open open_by_handle_at setns finit_module
  // kexec_file_load bpf userfaultfd
  denied: [101, 103, 155, 165, 166, 175, 176, 246, 248, 249, 250, 272, 298, 304, 308, 313, 320, 321, 323, ...shared.ioUring, ...shared.mountApi],
  clone: 56,
  clone3: shared.clone3,
  ioctl: 16,
  socket: 41,
  // open creat openat chmod fchmod mknod mknodat fchmodat fchmodat2
  modeSetters: [
    { nr: 2, mode: 2, createFlags: 1 },
    { nr: 85, mode: 1 },
    { nr: 257, mode: 3, createFlags: 2 },
    { nr: 90, mode: 1 },
    { nr: 91, mode: 1 },
    { nr: 133, mode: 1 },
    { nr: 259, mode: 2 },
    { nr: 268, mode: 2 },
    { nr: shared.fchmodat2, mode: 2 },
  ],
  x32: true,
};

const aarch64: SyscallTable = {
  auditArch: 0xc00000b7,
  // Same calls, same order, asm-generic numbering.
  denied: [117, 116, 41, 40, 39, 105, 106, 104, 217, 218, 219, 97, 241, 265, 268, 273, 294, 280, 282, ...shared.ioUring, ...shared.mountApi],
  clone: 220,
  clone3: shared.clone3,
  ioctl: 29,
  socket: 198,
  // openat mknodat fchmod fchmodat fchmodat2 (the older calls do not exist there)
  modeSetters: [
    { nr: 56, mode: 3, createFlags: 2 },
    { nr: 33, mode: 2 },
    { nr: 52, mode: 1 },
    { nr: 53, mode: 2 },
    { nr: shared.fchmodat2, mode: 2 },
  ],
  x32: false,
};

/** Node's `process.arch` names of the architectures the filter covers. */
export const seccompArchitectures: readonly string[] = ['x64', 'arm64'];

type Insn = { code: number; k: number; jt?: string; jf?: string; label?: string };

/** One architecture's block: the checks, ending in "allow". Jumps name labels resolved later. */
function archBlock(t: SyscallTable, p: string): Insn[] {
  const out: Insn[] = [{ code: ldAbsW, k: offNr, label: p }];
  if (t.x32) out.push({ code: jgeK, k: X32_SYSCALL_BIT, jt: 'eperm' });
  out.push(
    { code: jeqK, k: t.clone, jt: `${p}-clone` },
    { code: jeqK, k: t.clone3, jt: 'enosys' },
    // openat2 takes its mode in a struct the filter cannot read; libc falls back to openat.
    { code: jeqK, k: shared.openat2, jt: 'enosys' },
    { code: jeqK, k: t.ioctl, jt: `${p}-ioctl` },
    { code: jeqK, k: t.socket, jt: `${p}-socket` },
    ...t.modeSetters.map((m, i): Insn => ({ code: jeqK, k: m.nr, jt: `${p}-mode-${i}` })),
    ...t.denied.map((nr): Insn => ({ code: jeqK, k: nr, jt: 'eperm' })),
    { code: retK, k: retAllow },
    // New user namespaces would give the run a root of its own (mounts, more kernel surface).
    { code: ldAbsW, k: offArg(0), label: `${p}-clone` },
    { code: jsetK, k: CLONE_NEWUSER, jt: 'eperm' },
    { code: retK, k: retAllow },
    // Pushing input into a terminal the run shares with someone else.
    { code: ldAbsW, k: offArg(1), label: `${p}-ioctl` },
    { code: jeqK, k: TIOCSTI, jt: 'eperm' },
    { code: jeqK, k: TIOCLINUX, jt: 'eperm' },
    { code: retK, k: retAllow },
    // Raw packets and netlink: kernel surface a run without network has no use for.
    { code: ldAbsW, k: offArg(0), label: `${p}-socket` },
    { code: jeqK, k: AF_NETLINK, jt: 'eperm' },
    { code: jeqK, k: AF_PACKET, jt: 'eperm' },
    { code: ldAbsW, k: offArg(1) },
    { code: andK, k: SOCK_TYPE_MASK },
    { code: jeqK, k: SOCK_RAW, jt: 'eperm' },
    { code: retK, k: retAllow },
  );
  // Set-user-id and set-group-id files: harmless on the nosuid workspace, refused all the same,
  // so that nothing the run leaves can ever gain privileges wherever it ends up.
  t.modeSetters.forEach((m, i) => {
    const label = `${p}-mode-${i}`;
    if (m.createFlags !== undefined) {
      out.push(
        { code: ldAbsW, k: offArg(m.createFlags), label },
        { code: jsetK, k: CREATES, jt: `${label}-created` },
        { code: retK, k: retAllow },
      );
    }
    out.push(
      { code: ldAbsW, k: offArg(m.mode), label: m.createFlags === undefined ? label : `${label}-created` },
      { code: jsetK, k: S_ISUID_ISGID, jt: 'eperm' },
      { code: retK, k: retAllow },
    );
  });
  return out;
}

/**
 * Builds the seccomp program every run gets. Pure.
 *
 * Denied with EPERM: unshare, setns, mount and the new mount API, umount2, pivot_root, bpf,
 * keyctl, add_key, request_key, ptrace, perf_event_open, io_uring_*, kexec_*, *_module,
 * userfaultfd, syslog, open_by_handle_at, clone with CLONE_NEWUSER, ioctl TIOCSTI/TIOCLINUX,
 * socket of AF_NETLINK, AF_PACKET or SOCK_RAW, a mode with the set-user-id or set-group-id bit
 * in chmod, fchmod, fchmodat(2), mknod(at) and in open, openat and creat when they create a file,
 * and every x32 call. clone3 and openat2 fail with ENOSYS, so that glibc falls back to clone and
 * openat, whose arguments a filter can see. System calls of any other
 * architecture (32-bit compat calls included) kill the process.
 */
export function buildSeccompFilter(): Buffer {
  const program: Insn[] = [
    { code: ldAbsW, k: offArch },
    { code: jeqK, k: x8664.auditArch, jt: 'x86_64' },
    { code: jeqK, k: aarch64.auditArch, jt: 'aarch64' },
    { code: retK, k: retKillProcess },
    ...archBlock(x8664, 'x86_64'),
    ...archBlock(aarch64, 'aarch64'),
    { code: retK, k: retErrno(EPERM), label: 'eperm' },
    { code: retK, k: retErrno(ENOSYS), label: 'enosys' },
  ];
  const labels = new Map<string, number>();
  program.forEach((insn, i) => {
    if (insn.label !== undefined) labels.set(insn.label, i);
  });
  const offset = (from: number, label: string | undefined): number => {
    if (label === undefined) return 0;
    const to = labels.get(label);
    // Classic BPF jumps only forward, at most 255 instructions.
    if (to === undefined || to <= from || to - from - 1 > 255) throw new Error(`bad seccomp jump to ${label}`);
    return to - from - 1;
  };
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    buf.writeUInt16LE(insn.code, i * 8);
    buf.writeUInt8(offset(i, insn.jt), i * 8 + 2);
    buf.writeUInt8(offset(i, insn.jf), i * 8 + 3);
    buf.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return buf;
}
