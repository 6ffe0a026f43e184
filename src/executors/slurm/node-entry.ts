import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { RunResult } from '../executor.js';
import { imageRuntimes } from '../sandbox/image-runtimes.js';
import { SandboxExecutor } from '../sandbox/sandbox-executor.js';
import type { NodeJob } from './job-script.js';
import type { NodeVerdict } from './job-verdict.js';

// The job's program on the compute node (the batch script execs it with job.json's path): Slurm
// allocated the node's CPUs, memory and GPUs; Holdout's own sandbox isolates the run (no network,
// read-only data, its uid, cgroup limits), exactly as on a worker host. It copies the run's
// outputs and writes its verdict into the job folder on the shared file system, which is the only
// channel back to the worker.

/** The GPUs Slurm allocated to this job (`--gres=gpu:N`), as N of /dev/nvidiaN. */
function allocatedGpus(wanted: number): string[] {
  if (wanted === 0) return [];
  const ids = (process.env.SLURM_JOB_GPUS ?? '').split(',').filter((id) => /^\d+$/.test(id));
  if (ids.length !== wanted) {
    throw new Error(`the run needs ${wanted} GPU(s) but Slurm allocated "${process.env.SLURM_JOB_GPUS ?? ''}"; check the node's gres.conf (File=/dev/nvidia[…])`);
  }
  return ids;
}

async function runJob(job: NodeJob, signal: AbortSignal): Promise<NodeVerdict> {
  const { root, runtimesDir, gpuDevDir, uidRange } = job.sandbox;
  const executor = new SandboxExecutor({
    ...(root ? { workspaceRoot: root } : {}),
    ...(uidRange ? { uidRange } : {}),
    ...(gpuDevDir ? { gpus: { devDir: gpuDevDir } } : {}),
    ...(runtimesDir ? { findRuntime: imageRuntimes(runtimesDir) } : {}),
  });
  // A node entry killed by SIGKILL (KillWait passed, the node rebooted) left its workspace mounted.
  await executor.sweepStaleRuns();
  let result: RunResult | undefined;
  try {
    result = await executor.run({ ...job.run, gpus: allocatedGpus(job.run.limits.gpus), logPath: job.folder.log, signal });
    // -a keeps links as links, fifos as fifos and the run's uid: the worker reads them as hostile.
    await mkdir(job.folder.output, { recursive: true });
    await promisify(execFile)('cp', ['-a', '--', `${result.outputDir}/.`, job.folder.output]);
    return { ok: true, outcome: result.outcome, exitCode: result.exitCode, signal: result.signal, wallMs: result.wallMs, ...(result.usage ? { usage: result.usage } : {}) };
  } finally {
    await result?.dispose();
  }
}

async function main(specPath: string): Promise<void> {
  const job = JSON.parse(await readFile(specPath, 'utf8')) as NodeJob;
  // scancel and Slurm's time limit send SIGTERM (SIGKILL KillWait later): the sandbox stops the
  // run, reports it cancelled and removes its workspace and cgroups in that time.
  const controller = new AbortController();
  for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(name, () => controller.abort());
  let verdict: NodeVerdict;
  try {
    verdict = await runJob(job, controller.signal);
  } catch (error) {
    verdict = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  // Renamed into place: the worker never reads half a verdict.
  await writeFile(`${job.folder.result}.tmp`, JSON.stringify(verdict));
  await rename(`${job.folder.result}.tmp`, job.folder.result);
}

const specPath = process.argv[2];
if (specPath === undefined) {
  process.stderr.write('usage: node-entry <job.json>\n');
  process.exitCode = 2;
} else {
  await main(specPath).catch((error: unknown) => {
    process.stderr.write(`holdout node entry: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
