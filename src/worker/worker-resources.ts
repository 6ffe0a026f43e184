import { availableParallelism, totalmem } from 'node:os';

/** What a worker offers to the runs it claims. */
export interface WorkerOffer {
  cpus: number;
  memoryBytes: number;
  gpus: number;
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

/** The whole host: all its CPUs and memory, no GPUs, any runtime. */
export function hostOffer(executors: readonly string[]): WorkerOffer {
  return { cpus: availableParallelism(), memoryBytes: totalmem(), gpus: 0, executors };
}

/**
 * Memory and GPUs held by the runs of one worker. A claim asks only for what is still free, so
 * concurrent runs never add up to more memory or GPUs than the worker offers. CPUs are not
 * reserved: a run's CPU limit is a quota that concurrent runs may share, so a run only has to fit
 * the worker's CPUs on its own.
 */
export class WorkerResources {
  private memoryBytes = 0;
  private gpus = 0;

  constructor(readonly offer: WorkerOffer) {}

  /** What a claim may still take now. */
  free(): RunNeeds {
    return { cpus: this.offer.cpus, memoryBytes: this.offer.memoryBytes - this.memoryBytes, gpus: this.offer.gpus - this.gpus };
  }

  /** Holds a run's memory and GPUs until the returned function is called (once). */
  reserve(needs: RunNeeds): () => void {
    this.memoryBytes += needs.memoryBytes;
    this.gpus += needs.gpus;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.memoryBytes -= needs.memoryBytes;
      this.gpus -= needs.gpus;
    };
  }
}
