import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSeccompFilter } from './seccomp-filter.js';

const x86 = 0xc000003e;
const arm = 0xc00000b7;
const i386 = 0x40000003;
const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const ENOSYS = 0x00050026;
const KILL = 0x80000000;

/** Runs the classic BPF program on one seccomp_data, as the kernel would (the subset it uses). */
function evaluate(program: Buffer, arch: number, nr: number, args: number[] = []): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(nr, 0);
  data.writeUInt32LE(arch, 4);
  args.forEach((a, i) => data.writeUInt32LE(a >>> 0, 16 + 8 * i));
  let acc = 0;
  for (let pc = 0; pc < program.length / 8; ) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x20: acc = data.readUInt32LE(k); pc++; break;
      case 0x54: acc = (acc & k) >>> 0; pc++; break;
      case 0x15: pc += 1 + (acc === k ? jt : jf); break;
      case 0x35: pc += 1 + (acc >= k ? jt : jf); break;
      case 0x45: pc += 1 + ((acc & k) !== 0 ? jt : jf); break;
      case 0x06: return k;
      default: throw new Error(`unexpected opcode ${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end of the program');
}

describe('buildSeccompFilter', () => {
  const filter = buildSeccompFilter();

  it('is a whole number of instructions that always returns', () => {
    assert.equal(filter.length % 8, 0);
    assert.ok(filter.length / 8 < 4096);
  });

  it('allows ordinary calls and denies the dangerous ones on x86_64', () => {
    for (const nr of [0, 1, 39, 57, 59, 231, 257]) assert.equal(evaluate(filter, x86, nr), ALLOW, `nr ${nr}`);
    for (const nr of [272, 308, 165, 166, 155, 321, 250, 248, 249, 101, 298, 425, 426, 427, 246, 320, 175, 313, 176, 323]) {
      assert.equal(evaluate(filter, x86, nr), EPERM, `nr ${nr}`);
    }
    assert.equal(evaluate(filter, x86, 435), ENOSYS);
    assert.equal(evaluate(filter, x86, 0x40000000 | 39), EPERM, 'x32');
  });

  it('looks at clone flags, ioctl requests and socket families', () => {
    assert.equal(evaluate(filter, x86, 56, [0x01200011]), ALLOW, 'fork-like clone');
    assert.equal(evaluate(filter, x86, 56, [0x10000000 | 0x11]), EPERM, 'CLONE_NEWUSER');
    assert.equal(evaluate(filter, x86, 16, [1, 0x5401]), ALLOW, 'TCGETS');
    assert.equal(evaluate(filter, x86, 16, [1, 0x5412]), EPERM, 'TIOCSTI');
    assert.equal(evaluate(filter, x86, 41, [2, 1]), ALLOW, 'AF_INET stream');
    assert.equal(evaluate(filter, x86, 41, [1, 0x80001]), ALLOW, 'AF_UNIX stream, cloexec');
    assert.equal(evaluate(filter, x86, 41, [16, 3]), EPERM, 'AF_NETLINK');
    assert.equal(evaluate(filter, x86, 41, [17, 2]), EPERM, 'AF_PACKET');
    assert.equal(evaluate(filter, x86, 41, [2, 0x80003]), EPERM, 'SOCK_RAW, cloexec');
  });

  it('refuses set-id modes in chmod, mknod and file-creating opens, and nothing else of them', () => {
    const suid = 0o104755;
    assert.equal(evaluate(filter, x86, 90, [0, 0o644]), ALLOW, 'chmod 644');
    assert.equal(evaluate(filter, x86, 90, [0, 0o4755]), EPERM, 'chmod u+s');
    assert.equal(evaluate(filter, x86, 91, [3, 0o2755]), EPERM, 'fchmod g+s');
    assert.equal(evaluate(filter, x86, 268, [-100, 0, 0o6755]), EPERM, 'fchmodat');
    assert.equal(evaluate(filter, x86, 452, [-100, 0, 0o4755, 0]), EPERM, 'fchmodat2');
    assert.equal(evaluate(filter, x86, 133, [0, suid, 0]), EPERM, 'mknod S_IFREG|04755');
    assert.equal(evaluate(filter, x86, 259, [-100, 0, 0o010644, 0]), ALLOW, 'mknodat fifo');
    assert.equal(evaluate(filter, x86, 85, [0, 0o4755]), EPERM, 'creat');
    assert.equal(evaluate(filter, x86, 2, [0, 0x41, 0o4755]), EPERM, 'open O_CREAT|O_WRONLY 04755');
    assert.equal(evaluate(filter, x86, 2, [0, 0x41, 0o644]), ALLOW, 'open O_CREAT 0644');
    assert.equal(evaluate(filter, x86, 2, [0, 0, 0o4755]), ALLOW, 'open without O_CREAT ignores the mode register');
    assert.equal(evaluate(filter, x86, 257, [-100, 0, 0x241, 0o2755]), EPERM, 'openat O_CREAT|O_TRUNC 02755');
    assert.equal(evaluate(filter, x86, 257, [-100, 0, 0x410000, 0o4700]), EPERM, 'openat O_TMPFILE');
    assert.equal(evaluate(filter, x86, 257, [-100, 0, 0x80000, 0o7777]), ALLOW, 'openat O_RDONLY|O_CLOEXEC');
    assert.equal(evaluate(filter, x86, 437), ENOSYS, 'openat2');
    assert.equal(evaluate(filter, arm, 56, [-100, 0, 0x40, 0o4755]), EPERM, 'aarch64 openat');
    assert.equal(evaluate(filter, arm, 53, [-100, 0, 0o4755]), EPERM, 'aarch64 fchmodat');
    assert.equal(evaluate(filter, arm, 52, [3, 0o755]), ALLOW, 'aarch64 fchmod 755');
  });

  it('uses the aarch64 numbers there, and kills other architectures', () => {
    assert.equal(evaluate(filter, arm, 97), EPERM, 'unshare');
    assert.equal(evaluate(filter, arm, 272), ALLOW, 'x86 unshare number is something else here');
    assert.equal(evaluate(filter, arm, 220, [0x10000000]), EPERM, 'clone NEWUSER');
    assert.equal(evaluate(filter, arm, 435), ENOSYS);
    assert.equal(evaluate(filter, arm, 0x40000000 | 39), ALLOW, 'no x32 rule on aarch64');
    assert.equal(evaluate(filter, i386, 20), KILL);
  });
});
