import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CgroupController, CgroupLayout } from './cgroups.js';

/** What a run's cgroup counted; undefined where the kernel does not keep the counter. */
export interface CgroupUsage {
  cpuMs?: number;
  peakMemoryBytes?: number;
}

// cgroup files are kernel objects: synchronous calls return in microseconds, and going through
// libuv's thread pool for each of them would cost more than the work itself on the fast path.

/** Limits a run's cgroup enforces. */
export interface RunCgroupLimits {
  memoryBytes: number;
  pids: number;
  /** CPU quota in cores; zero or less means no quota. */
  cpus: number;
}

const cfsPeriodUs = 100_000;
const controllersV2 = ['memory', 'pids', 'cpu'];

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function fieldOf(text: string, key: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${key} `));
  return line === undefined ? 0 : Number(line.slice(key.length + 1)) || 0;
}

/** The cgroups below `dir`, deepest first; none when it is gone. */
function subCgroups(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isDirectory()).flatMap((e) => {
    const child = path.join(dir, e.name);
    return [...subCgroups(child), child];
  });
}

/** The parent folder of every run's cgroup in each hierarchy of a layout. */
function parentDirs(layout: CgroupLayout, parent: string): string[] {
  if (layout.kind === 'v2') return [path.join(layout.root, parent)];
  const dirs = Object.values(layout.controllers).map((mount) => path.join(mount, parent));
  if (layout.cpuacct !== undefined) dirs.push(path.join(layout.cpuacct, parent));
  if (layout.unified !== null) dirs.push(path.join(layout.unified, parent));
  return [...new Set(dirs)];
}

/**
 * Creates the parent cgroups once per process (idempotent). On cgroup v2 it also delegates the
 * memory, pids and cpu controllers to the parent's children.
 * @throws Error when the controllers cannot be enabled (e.g. inside a container whose cgroup root holds processes).
 */
export function prepareCgroupParent(layout: CgroupLayout, parent: string): void {
  for (const dir of parentDirs(layout, parent)) mkdirSync(dir, { recursive: true });
  if (layout.kind !== 'v2') return;
  // Each level from the root down to the parent must hand the controllers to its children.
  const levels = parent.split('/').map((_, i, parts) => path.join(layout.root, ...parts.slice(0, i)));
  for (const dir of [...levels, path.join(layout.root, parent)]) {
    const file = path.join(dir, 'cgroup.subtree_control');
    const enabled = readOrEmpty(file).trim().split(/\s+/);
    const wanted = controllersV2.filter((c) => !enabled.includes(c));
    if (wanted.length === 0) continue;
    try {
      writeFileSync(file, wanted.map((c) => `+${c}`).join(' '));
    } catch (error) {
      throw new Error(
        `cannot enable cgroup controllers ${wanted.join(', ')} in ${dir}: ${String(error)}. ` +
          'On cgroup v2 the controllers must be delegated to it; if this runs in a container, move ' +
          'its processes out of the root cgroup (e.g. into an "init" child) first.',
      );
    }
  }
}

/**
 * One run's cgroup (one folder per hierarchy on v1). The launcher joins it by writing its pid to
 * every file in `procsFiles`; children inherit it, whatever they do (setsid, double fork).
 */
export class RunCgroup {
  #removed = false;

  private constructor(
    private readonly layout: CgroupLayout,
    /** The folder holding each controller's files (one folder for all on v2). */
    private readonly limitDirs: Readonly<Record<CgroupController, string>>,
    /** Every folder the run has, the memory one first. */
    readonly dirs: readonly string[],
    private readonly killFile: string | null,
    /** The folder whose counters give the CPU time (cpuacct on v1); null: not counted. */
    private readonly cpuUsageDir: string | null,
  ) {}

  /** `cgroup.procs` files the launcher must join, in order. */
  get procsFiles(): string[] {
    return this.dirs.map((d) => path.join(d, 'cgroup.procs'));
  }

  /** Creates the run's cgroup with its limits. The parent must have been prepared. */
  static create(layout: CgroupLayout, parent: string, name: string, limits: RunCgroupLimits): RunCgroup {
    const cg = layout.kind === 'v2' ? RunCgroup.v2Dirs(layout, parent, name) : RunCgroup.v1Dirs(layout, parent, name);
    try {
      for (const dir of cg.dirs) mkdirSync(dir);
      cg.applyLimits(limits);
    } catch (error) {
      cg.removeNow();
      throw error;
    }
    return cg;
  }

  /** The cgroup of an earlier run, to kill and remove what is left of it. Creates nothing. */
  static open(layout: CgroupLayout, parent: string, name: string): RunCgroup {
    return layout.kind === 'v2' ? RunCgroup.v2Dirs(layout, parent, name) : RunCgroup.v1Dirs(layout, parent, name);
  }

  /** Names of the run cgroups under `parent`, in any hierarchy. */
  static names(layout: CgroupLayout, parent: string): string[] {
    const names = new Set<string>();
    for (const dir of parentDirs(layout, parent)) {
      try {
        for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) names.add(e.name);
      } catch {
        // A hierarchy without the parent yet: nothing of ours there.
      }
    }
    return [...names];
  }

  private static v2Dirs(layout: Extract<CgroupLayout, { kind: 'v2' }>, parent: string, name: string): RunCgroup {
    const dir = path.join(layout.root, parent, name);
    return new RunCgroup(layout, { memory: dir, pids: dir, cpu: dir }, [dir], path.join(dir, 'cgroup.kill'), dir);
  }

  private static v1Dirs(layout: Extract<CgroupLayout, { kind: 'v1' }>, parent: string, name: string): RunCgroup {
    const { controllers } = layout;
    const limitDirs = {
      memory: path.join(controllers.memory, parent, name),
      pids: path.join(controllers.pids, parent, name),
      cpu: path.join(controllers.cpu, parent, name),
    };
    const cpuacct = layout.cpuacct === undefined ? null : path.join(layout.cpuacct, parent, name);
    // Controllers may share a hierarchy (e.g. "cpu,cpuacct" with others on some hosts).
    const dirs = [...new Set([...Object.values(limitDirs), ...(cpuacct === null ? [] : [cpuacct])])];
    let killFile: string | null = null;
    if (layout.unified !== null) {
      const unified = path.join(layout.unified, parent, name);
      dirs.push(unified);
      killFile = path.join(unified, 'cgroup.kill');
    }
    return new RunCgroup(layout, limitDirs, dirs, killFile, cpuacct);
  }

  private applyLimits(limits: RunCgroupLimits): void {
    const quota = limits.cpus > 0 ? Math.max(1000, Math.round(limits.cpus * cfsPeriodUs)) : null;
    const memory = String(Math.floor(limits.memoryBytes));
    if (this.layout.kind === 'v2') {
      const dir = this.limitDirs.memory;
      writeFileSync(path.join(dir, 'memory.max'), memory);
      // No swap on top of the memory limit; the file is absent when the kernel has no swap support.
      if (existsSync(path.join(dir, 'memory.swap.max'))) writeFileSync(path.join(dir, 'memory.swap.max'), '0');
      writeFileSync(path.join(dir, 'pids.max'), String(limits.pids));
      writeFileSync(path.join(dir, 'cpu.max'), `${quota ?? 'max'} ${cfsPeriodUs}`);
      return;
    }
    const { memory: memDir, pids: pidsDir, cpu: cpuDir } = this.limitDirs;
    writeFileSync(path.join(memDir, 'memory.limit_in_bytes'), memory);
    // memsw = mem + swap; equal limits mean no swap. It must be written after the memory limit.
    const memsw = path.join(memDir, 'memory.memsw.limit_in_bytes');
    if (existsSync(memsw)) writeFileSync(memsw, memory);
    writeFileSync(path.join(pidsDir, 'pids.max'), String(limits.pids));
    writeFileSync(path.join(cpuDir, 'cpu.cfs_period_us'), String(cfsPeriodUs));
    writeFileSync(path.join(cpuDir, 'cpu.cfs_quota_us'), String(quota ?? -1));
  }

  /** Processes killed by the OOM killer in this cgroup. Read it before `remove()`. */
  oomKills(): number {
    const dir = this.limitDirs.memory;
    if (this.layout.kind === 'v2') return fieldOf(readOrEmpty(path.join(dir, 'memory.events')), 'oom_kill');
    return fieldOf(readOrEmpty(path.join(dir, 'memory.oom_control')), 'oom_kill');
  }

  /**
   * CPU time and peak memory of everything that ran in the cgroup, sub-cgroups (a container's)
   * included: the counters are hierarchical. Read it after the run ended and before `remove()`.
   * v1: `cpuacct.usage` (ns) and `memory.max_usage_in_bytes`; v2: `cpu.stat` usage_usec and
   * `memory.peak` (Linux 5.19+; older kernels keep no peak, which stays undefined).
   */
  usage(): CgroupUsage {
    const usage: CgroupUsage = {};
    const read = (dir: string | null, file: string): string => (dir === null ? '' : readOrEmpty(path.join(dir, file)).trim());
    const memoryDir = this.limitDirs.memory;
    if (this.layout.kind === 'v2') {
      const stat = read(this.cpuUsageDir, 'cpu.stat');
      if (/^usage_usec /m.test(stat)) usage.cpuMs = fieldOf(stat, 'usage_usec') / 1000;
      const peak = read(memoryDir, 'memory.peak');
      if (peak !== '') usage.peakMemoryBytes = Number(peak);
    } else {
      const cpu = read(this.cpuUsageDir, 'cpuacct.usage');
      if (cpu !== '') usage.cpuMs = Number(cpu) / 1e6;
      const peak = read(memoryDir, 'memory.max_usage_in_bytes');
      if (peak !== '') usage.peakMemoryBytes = Number(peak);
    }
    if (usage.cpuMs !== undefined) usage.cpuMs = Math.round(usage.cpuMs);
    return usage;
  }

  /**
   * Pids still in any of the run's folders or their sub-cgroups (a container engine given this
   * cgroup as its parent nests the container's own below it).
   */
  pids(): number[] {
    const all = new Set<number>();
    for (const dir of this.dirs.flatMap((d) => [d, ...subCgroups(d)])) {
      for (const line of readOrEmpty(path.join(dir, 'cgroup.procs')).split('\n')) if (line !== '') all.add(Number(line));
    }
    return [...all];
  }

  /** The memory controller's folder of this run, and whether it is cgroup v2. */
  get memory(): { dir: string; v2: boolean } {
    return { dir: this.limitDirs.memory, v2: this.layout.kind === 'v2' };
  }

  /** Sends SIGKILL to every process of the run, however it detached itself. */
  kill(): void {
    if (this.#removed) return;
    if (this.killFile !== null) {
      try {
        writeFileSync(this.killFile, '1');
        return;
      } catch {
        // Kernels before 5.14 have no cgroup.kill: fall back to killing the listed pids.
      }
    }
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  /**
   * Kills everything left and waits until the cgroup is empty.
   * @throws Error if processes are still there after `timeoutMs` (the host is in trouble).
   */
  async killAndWait(timeoutMs = 10_000): Promise<void> {
    const started = Date.now();
    let delay = 1;
    for (let attempt = 0; ; attempt++) {
      if (this.pids().length === 0) return;
      // Re-kill from time to time: the pid-list fallback can race with a fork.
      if (attempt % 8 === 0) this.kill();
      const waited = Date.now() - started;
      if (waited > timeoutMs) {
        throw new Error(`processes ${this.pids().join(', ')} of cgroup ${this.dirs[0]} survive SIGKILL`);
      }
      // Killed processes usually leave within a millisecond: poll finely first, then back off.
      if (waited < 5) {
        await new Promise((resolve) => setImmediate(resolve));
      } else {
        await sleep(delay);
        delay = Math.min(delay * 2, 20);
      }
    }
  }

  private removeNow(): string[] {
    const left: string[] = [];
    // Deepest first: a cgroup with children cannot be removed.
    for (const dir of this.dirs.flatMap((d) => [...subCgroups(d), d])) {
      try {
        rmdirSync(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir);
      }
    }
    return left;
  }

  /**
   * Removes the run's folders, retrying while the kernel still reports them busy (EBUSY right
   * after the last process exits). Idempotent.
   */
  async remove(timeoutMs = 5_000): Promise<void> {
    if (this.#removed) return;
    const deadline = Date.now() + timeoutMs;
    let delay = 1;
    for (;;) {
      const left = this.removeNow();
      if (left.length === 0) break;
      if (Date.now() > deadline) throw new Error(`cannot remove cgroups ${left.join(', ')}`);
      await sleep(delay);
      delay = Math.min(delay * 2, 50);
    }
    this.#removed = true;
  }
}
