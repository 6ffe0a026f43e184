import { execFile } from 'node:child_process';
import { type JobState, parseJobState } from './job-verdict.js';

/** A Slurm command that failed: the controller refused or could not be reached. */
export class SlurmCommandError extends Error {
  constructor(
    message: string,
    /** What the command wrote to stderr. */
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'SlurmCommandError';
  }
}

/** The Slurm commands the executor uses, found on PATH (or in `binDir`), with SLURM_CONF as set. */
export class SlurmClient {
  constructor(
    private readonly options: { binDir?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
  ) {}

  #command(name: string, args: readonly string[]): Promise<string> {
    const file = this.options.binDir ? `${this.options.binDir}/${name}` : name;
    return new Promise((resolve, reject) => {
      execFile(file, args, { env: this.options.env ?? process.env, timeout: this.options.timeoutMs ?? 30_000, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error === null) return resolve(stdout);
        // scontrol says some refusals ("Partition x not found") on stdout.
        const said = `${stderr.trim()}\n${stdout.trim()}`.trim();
        reject(new SlurmCommandError(`${name} failed: ${said || error.message}`, said));
      });
    });
  }

  /** Submits a batch job; returns its id. @throws SlurmCommandError when the controller refuses it. */
  async submit(args: readonly string[]): Promise<string> {
    const out = (await this.#command('sbatch', args)).trim();
    // --parsable prints "id" or "id;cluster".
    const id = out.split(';')[0] ?? '';
    if (!/^\d+$/.test(id)) throw new SlurmCommandError(`sbatch printed "${out}" instead of a job id`, '');
    return id;
  }

  /**
   * The job's state; undefined when the controller does not know the job (never, or no longer).
   * @throws SlurmCommandError when the controller cannot be reached
   */
  async state(jobId: string): Promise<JobState | undefined> {
    try {
      return parseJobState(await this.#command('scontrol', ['show', 'job', '-o', jobId]));
    } catch (error) {
      if (error instanceof SlurmCommandError && /Invalid job id/i.test(error.stderr)) return undefined;
      throw error;
    }
  }

  /** Cancels the job (all its steps; KillWait later with SIGKILL). A job that is gone is fine. */
  async cancel(jobId: string): Promise<void> {
    await this.#command('scancel', ['--full', jobId]).catch((error: unknown) => {
      if (error instanceof SlurmCommandError && /Invalid job id|already completing or completed/i.test(error.stderr)) return;
      throw error;
    });
  }

  /**
   * Whether a partition of that name exists (any partition, without a name).
   * @throws SlurmCommandError when the controller cannot be reached
   */
  async hasPartition(partition?: string): Promise<boolean> {
    const out = await this.#command('scontrol', ['show', 'partition', '-o', ...(partition ? [partition] : [])]).catch((error: unknown) => {
      if (error instanceof SlurmCommandError && /not found/i.test(error.stderr + error.message)) return '';
      throw error;
    });
    return out.includes(`PartitionName=${partition ?? ''}`);
  }
}
