// Kernel constants the seccomp rules of both executors compare against (the sandbox's BPF program
// and the docker executor's OCI profile), from the kernel's uapi headers; the same on x86_64 and
// aarch64.

export const EPERM = 1;
export const ENOSYS = 38;
export const CLONE_NEWUSER = 0x10000000;
export const TIOCSTI = 0x5412;
export const TIOCLINUX = 0x541c;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;
export const SOCK_RAW = 3;
export const SOCK_TYPE_MASK = 0xf;
export const O_CREAT = 0x40;
/** The bit of O_TMPFILE that O_DIRECTORY does not have. */
export const O_TMPFILE_BIT = 0x400000;
