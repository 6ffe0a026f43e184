import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

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

/**
 * A process's pid and start time (clock ticks after boot, field 22 of /proc/PID/stat): unlike a
 * pid alone, it never names a later process that got the same pid. Just the pid where /proc is
 * missing.
 */
export function processStamp(pid = process.pid): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return startTime ? `${pid}:${startTime}` : String(pid);
  } catch {
    return String(pid);
  }
}

/** Whether the process a `processStamp` was taken of still runs. */
export function stampAlive(stamp: string): boolean {
  const pid = Number.parseInt(stamp, 10);
  if (!(pid > 0) || !isAlive(pid)) return false;
  return !stamp.includes(':') || processStamp(pid) === stamp;
}
