// The sandbox's seccomp rules (src/executors/sandbox/seccomp-filter.ts) as an OCI seccomp profile,
// the JSON that Docker and podman take, so a run meets the same refusals in either executor.

import { AF_NETLINK, AF_PACKET, CLONE_NEWUSER, ENOSYS, EPERM, O_CREAT, O_TMPFILE_BIT, SOCK_RAW, SOCK_TYPE_MASK, TIOCLINUX, TIOCSTI } from '../host/seccomp-constants.js';

/** Denied whatever their arguments (the engine's profile allows several: unshare, setns, keyctl…). */
const denied = [
  'ptrace', 'syslog', 'pivot_root', 'mount', 'umount2', 'init_module', 'finit_module', 'delete_module',
  'kexec_load', 'kexec_file_load', 'add_key', 'request_key', 'keyctl', 'unshare', 'setns',
  'perf_event_open', 'open_by_handle_at', 'bpf', 'userfaultfd',
  'io_uring_setup', 'io_uring_enter', 'io_uring_register',
  'open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr',
];

interface Arg {
  index: number;
  value: number;
  valueTwo?: number;
  op: 'SCMP_CMP_EQ' | 'SCMP_CMP_MASKED_EQ';
}
interface Rule {
  names: string[];
  action: 'SCMP_ACT_ERRNO';
  errnoRet: number;
  args?: Arg[];
}

/** "errno when arg[index] & mask == value": libseccomp's masked compare. */
const masked = (index: number, mask: number, value = mask): Arg => ({ index, value: mask, valueTwo: value, op: 'SCMP_CMP_MASKED_EQ' });
const eperm = (names: string[], ...args: Arg[]): Rule => ({ names, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, ...(args.length ? { args } : {}) });

/** Node's process.arch → the profile's architecture names (native only: others are killed). */
const architectures: Record<string, string[]> = { x64: ['SCMP_ARCH_X86_64'], arm64: ['SCMP_ARCH_AARCH64'] };

/**
 * The profile every container run gets. Pure.
 * @remarks Rules with several arguments match when all do; a rule per argument value is an "or".
 * The mode of open/openat/creat is refused only when the call creates a file (O_CREAT or
 * O_TMPFILE), as the sandbox does. x32 calls and other architectures are refused by the
 * architecture list.
 */
export function buildSeccompProfile(arch: string = process.arch): Record<string, unknown> {
  const archs = architectures[arch];
  if (!archs) throw new Error(`no seccomp profile for ${arch}`);
  // Two rules each (set-user-id, set-group-id): one masked compare cannot say "either bit".
  const setuid = (index: number) => masked(index, 0o4000);
  const setgid = (index: number) => masked(index, 0o2000);
  const modeRules = (names: string[], modeIndex: number): Rule[] => [eperm(names, setuid(modeIndex)), eperm(names, setgid(modeIndex))];
  const creating = (names: string[], flagsIndex: number, modeIndex: number): Rule[] =>
    [O_CREAT, O_TMPFILE_BIT].flatMap((flag) => [eperm(names, masked(flagsIndex, flag), setuid(modeIndex)), eperm(names, masked(flagsIndex, flag), setgid(modeIndex))]);
  const rules: Rule[] = [
    eperm(denied),
    eperm(['clone'], masked(0, CLONE_NEWUSER)),
    // glibc falls back to clone and openat, whose arguments the rules can see.
    { names: ['clone3', 'openat2'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
    eperm(['ioctl'], { index: 1, value: TIOCSTI, op: 'SCMP_CMP_EQ' }),
    eperm(['ioctl'], { index: 1, value: TIOCLINUX, op: 'SCMP_CMP_EQ' }),
    eperm(['socket'], { index: 0, value: AF_NETLINK, op: 'SCMP_CMP_EQ' }),
    eperm(['socket'], { index: 0, value: AF_PACKET, op: 'SCMP_CMP_EQ' }),
    eperm(['socket'], masked(1, SOCK_TYPE_MASK, SOCK_RAW)),
    ...modeRules(['chmod', 'fchmod', 'mknod', 'creat'], 1),
    ...modeRules(['fchmodat', 'fchmodat2', 'mknodat'], 2),
    ...(arch === 'x64' ? creating(['open'], 1, 2) : []),
    ...creating(['openat'], 2, 3),
  ];
  return { defaultAction: 'SCMP_ACT_ALLOW', architectures: archs, syscalls: rules };
}
