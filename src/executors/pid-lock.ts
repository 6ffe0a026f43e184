import { readFileSync, readlinkSync, unlinkSync, writeFileSync } from 'node:fs';

/** Whether a process with this pid exists on this host (EPERM: it does, under another uid). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes a lock between processes of one host: a file created exclusively that holds the owner's
 * pid. The lock of a dead process is taken over. Returns the pid of the live owner when another
 * process holds it, or undefined once this process does.
 * @remarks Two processes taking over the same stale lock at the same instant could both win.
 */
export function takePidLock(file: string): number | undefined {
  let owner = 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    try {
      owner = Number(readFileSync(file, 'utf8').trim());
    } catch {
      continue; // Released meanwhile: try the exclusive create again.
    }
    // Our own pid in a lock we do not hold is a leftover of an earlier process with this pid.
    if (owner > 0 && owner !== process.pid && isAlive(owner)) return owner;
    try {
      unlinkSync(file);
    } catch {
      // Someone else took it over first; the exclusive create decides.
    }
  }
  return owner > 0 ? owner : -1;
}

/** Gives a lock back; a lock already gone is fine. */
export function dropPidLock(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone: nothing to give back.
  }
}

/** Start time of a process (clock ticks after boot, field 22 of /proc/PID/stat), or undefined. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

let here: string | undefined;

/** This boot and pid namespace (read once: they do not change): pids and start times mean something only within them. */
function whereStamped(): string {
  const read = (f: () => string) => {
    try {
      return f();
    } catch {
      return '?';
    }
  };
  here ??= `${read(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim())}/${read(() => readlinkSync('/proc/self/ns/pid'))}`;
  return here;
}

/**
 * Names this process so that no later process is mistaken for it: pid, start time, and the boot
 * and pid namespace they count in (a pid alone comes back for another process; a process in a
 * container or on another host sharing the folder has pids of its own).
 */
export function processStamp(): string {
  return `${process.pid} ${startTimeOf(process.pid) ?? '?'} ${whereStamped()}`;
}

/**
 * Whether the process a `processStamp` names still runs; undefined where this process cannot tell
 * (stamped in another boot or pid namespace, or not a stamp at all).
 */
export function stampAlive(stamp: string): boolean | undefined {
  const [pidText, startTime, where, ...rest] = stamp.trim().split(' ');
  const pid = Number(pidText);
  if (rest.length > 0 || !Number.isInteger(pid) || pid <= 0 || !startTime || startTime === '?' || where !== whereStamped()) return undefined;
  return isAlive(pid) && startTimeOf(pid) === startTime;
}
