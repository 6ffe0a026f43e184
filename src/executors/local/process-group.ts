import { readdir, readFile, stat } from 'node:fs/promises';

/**
 * The process group of a /proc/<pid>/stat line, read after the command name, which is in
 * parentheses and may itself contain spaces or ")". Pure.
 */
export function parseProcStat(text: string): { pgrp: number } | undefined {
  const end = text.lastIndexOf(')');
  if (end < 0) return undefined;
  // After ")": state, ppid, pgrp, ...
  const fields = text.slice(end + 2).split(' ');
  const pgrp = Number(fields[2]);
  return Number.isInteger(pgrp) ? { pgrp } : undefined;
}

/** The VmRSS of a /proc/<pid>/status text, in bytes (0 for a kernel thread or a zombie). Pure. */
export function parseVmRss(text: string): number {
  const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text)?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

/**
 * Resident memory of every process in a process group, summed, and how many there are.
 * Linux only (reads /proc); processes that vanish while it reads are skipped.
 */
export async function processGroupUsage(pgid: number): Promise<{ rssBytes: number; processes: number }> {
  let rssBytes = 0;
  let processes = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parsed = parseProcStat(await readFile(`/proc/${entry}/stat`, 'utf8'));
      if (parsed?.pgrp !== pgid) continue;
      processes += 1;
      rssBytes += parseVmRss(await readFile(`/proc/${entry}/status`, 'utf8'));
    } catch {
      // the process ended meanwhile
    }
  }
  return { rssBytes, processes };
}

/** Processes of a user (from /proc/<pid> ownership): the base RLIMIT_NPROC counts from. */
export async function userProcessCount(uid: number): Promise<number> {
  let count = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const st = await stat(`/proc/${entry}`).catch(() => undefined);
    if (st?.uid === uid) count += 1;
  }
  return count;
}

/** SIGKILLs a whole process group; an empty group is not an error. */
export function killProcessGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}
