import { spawn } from 'node:child_process';
import type { RunCgroup } from './run-cgroup.js';

/** Counts the OOM kills of a run whose processes live in sub-cgroups of its own cgroup. */
export interface OomWatch {
  /** Ends the watch; how many times the run's cgroup ran out of memory. Call after the run ended. */
  stop(): Promise<number>;
}

/**
 * Registers for the cgroup v1 memory controller's OOM notification (cgroup-v1/memory.rst, "OOM
 * Control": an eventfd written to cgroup.event_control) and counts the events until stdin closes.
 * Python, because Node cannot make an eventfd; Debian's /usr/bin/python3 has `os.eventfd`.
 */
const v1Watcher = `
import os, select, sys
cg = sys.argv[1]
efd = os.eventfd(0, os.EFD_NONBLOCK)
ctl = os.open(cg + "/memory.oom_control", os.O_RDONLY)
with open(cg + "/cgroup.event_control", "w") as f:
    f.write(f"{efd} {ctl}")
print("ready", flush=True)
total = 0
def drain():
    global total
    try:
        total += os.eventfd_read(efd)
    except BlockingIOError:
        pass
while True:
    ready, _, _ = select.select([efd, 0], [], [])
    drain()
    if 0 in ready and os.read(0, 1) == b"":
        drain()
        print(total, flush=True)
        break
`;

/**
 * Watches `cgroup` for OOM kills in it or in any cgroup below it (a container engine nests the
 * container's own memory cgroup under the one it is given as parent, and removes it at exit).
 * @remarks On cgroup v2 the parent's `memory.events` counts the kills of its whole subtree. On v1
 * the `oom_kill` counter is per cgroup and the container's is gone when the run ends, so the
 * watch takes the kernel's OOM notification of the parent instead; the limit must then be the
 * parent's (an OOM of a child's own limit notifies that child only).
 * @throws Error when the v1 watcher cannot be started (no /usr/bin/python3).
 */
export async function watchOom(cgroup: RunCgroup): Promise<OomWatch> {
  const { dir, v2 } = cgroup.memory;
  if (v2) return { stop: async () => cgroup.oomKills() };
  const child = spawn('/usr/bin/python3', ['-c', v1Watcher, dir], { env: {}, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const spawned = new Promise<void>((resolve, reject) => {
    child.on('error', (error) => reject(new Error(`cannot watch ${dir} for OOM kills: /usr/bin/python3: ${error.message}`)));
    child.stdout.on('data', () => out.startsWith('ready\n') && resolve());
    void exited.then(() => reject(new Error(`the OOM watcher of ${dir} failed: ${err.trim() || out.trim()}`)));
  });
  await spawned;
  return {
    async stop() {
      child.stdin.end();
      const code = await exited;
      const total = Number(out.split('\n')[1]);
      if (code !== 0 || !Number.isInteger(total)) throw new Error(`the OOM watcher of ${dir} ended with ${code}: ${err.trim()}`);
      return total;
    },
  };
}
