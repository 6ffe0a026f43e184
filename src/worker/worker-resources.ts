import { availableParallelism, totalmem } from 'node:os';

/** What a worker offers to the runs it claims. */
export interface WorkerOffer {
  cpus: number;
  memoryBytes: number;
  /** Ids of the GPUs it may hand to runs (N of /dev/nvidiaN; see `selectGpus`). */
  gpus: readonly string[];
  /** Executor names, for the queue page. */
  executors: readonly string[];
  /** Runtimes it runs; undefined: any its executor knows. */
  runtimes?: readonly string[];
}

/** What one run needs: its competition's limits. */
export interface RunNeeds {
  cpus: number;
  memoryBytes: number;
  gpus: number;
}

/** What a claim holds until it is released: its memory, and which GPUs its run may use. */
export interface Reservation {
  gpus: readonly string[];
  /** Gives everything back; calling it again does nothing. */
  release(): void;
}

/** The whole host: all its CPUs and memory, no GPUs, any runtime. */
export function hostOffer(executors: readonly string[]): WorkerOffer {
  return { cpus: availableParallelism(), memoryBytes: totalmem(), gpus: [], executors };
}

/**
 * Memory and GPUs held by the runs of one worker. A claim asks only for what is still free, so
 * concurrent runs never add up to more memory than the worker offers, and each GPU belongs to one
 * run at a time. CPUs are not reserved: a run's CPU limit is a quota that concurrent runs may
 * share, so a run only has to fit the worker's CPUs on its own.
 */
export class WorkerResources {
  private memoryBytes = 0;
  private readonly busyGpus = new Set<string>();

  constructor(readonly offer: WorkerOffer) {}

  /** What a claim may still take now. */
  free(): RunNeeds {
    return { cpus: this.offer.cpus, memoryBytes: this.offer.memoryBytes - this.memoryBytes, gpus: this.offer.gpus.length - this.busyGpus.size };
  }

  /**
   * Holds a run's memory and picks its GPUs, lowest ids first.
   * @throws Error when fewer GPUs are free than it needs (a claim asks only for what is free, so
   * this is a bug).
   */
  reserve(needs: RunNeeds): Reservation {
    const gpus = this.offer.gpus.filter((id) => !this.busyGpus.has(id)).slice(0, needs.gpus);
    if (gpus.length < needs.gpus) throw new Error(`a run needs ${needs.gpus} GPU(s) but only ${gpus.length} are free`);
    for (const id of gpus) this.busyGpus.add(id);
    this.memoryBytes += needs.memoryBytes;
    let released = false;
    return {
      gpus,
      release: () => {
        if (released) return;
        released = true;
        this.memoryBytes -= needs.memoryBytes;
        for (const id of gpus) this.busyGpus.delete(id);
      },
    };
  }
}
