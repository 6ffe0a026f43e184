import { StringDecoder } from 'node:string_decoder';
import { isFinal, type SubmissionStatus } from '../domain/submission.js';

/** What LiveLogs needs of the in-process worker: its `log` and `status` events. */
export interface LogSource {
  on(event: 'log', fn: (id: string, chunk: Buffer) => void): unknown;
  on(event: 'status', fn: (id: string) => void): unknown;
  off(event: 'log', fn: (id: string, chunk: Buffer) => void): unknown;
  off(event: 'status', fn: (id: string) => void): unknown;
}

interface Entry {
  text: string;
  bytes: number;
  truncated: boolean;
  decoder: StringDecoder;
  listeners: Set<(text: string) => void>;
}

/**
 * The log so far of each run of the in-process worker, so that a page opened mid-run shows the
 * lines printed before it opened, then follows. Text is decoded per run (a chunk may end inside a
 * UTF-8 character); an entry ends when its run is final or queued again (a re-run starts afresh).
 */
export class LiveLogs {
  private readonly runs = new Map<string, Entry>();
  private readonly onLog = (id: string, chunk: Buffer) => this.append(id, chunk);
  private readonly onStatus = (id: string) => void this.statusOf(id).then((s) => (s === undefined || s === 'queued' || isFinal(s)) && this.runs.delete(id));

  /**
   * @param maxBytes - kept per run; past it, followers still get new text but the "so far" stops
   * growing (the whole log is there once the run ends). @defaultValue 1 MiB
   */
  constructor(private readonly source: LogSource | undefined, private readonly statusOf: (id: string) => Promise<SubmissionStatus | undefined>, private readonly maxBytes = 1 << 20) {
    source?.on('log', this.onLog);
    source?.on('status', this.onStatus);
  }

  /** Calls `fn` with every new piece of text of the run; returns the text so far and how to stop. */
  follow(id: string, fn: (text: string) => void): { soFar: string; truncated: boolean; stop: () => void } {
    const entry = this.entry(id);
    entry.listeners.add(fn);
    const stop = () => {
      entry.listeners.delete(fn);
      // A follower of a run that printed nothing (or is over) leaves nothing behind.
      if (!entry.listeners.size && !entry.bytes && this.runs.get(id) === entry) this.runs.delete(id);
    };
    return { soFar: entry.text, truncated: entry.truncated, stop };
  }

  close(): void {
    this.source?.off('log', this.onLog);
    this.source?.off('status', this.onStatus);
    this.runs.clear();
  }

  private entry(id: string): Entry {
    let entry = this.runs.get(id);
    if (!entry) this.runs.set(id, (entry = { text: '', bytes: 0, truncated: false, decoder: new StringDecoder('utf8'), listeners: new Set() }));
    return entry;
  }

  private append(id: string, chunk: Buffer): void {
    const entry = this.entry(id);
    const text = entry.decoder.write(chunk);
    if (!text) return;
    if (entry.bytes + chunk.length <= this.maxBytes) entry.text += text;
    else entry.truncated = true;
    entry.bytes += chunk.length;
    for (const fn of entry.listeners) fn(text);
  }
}
