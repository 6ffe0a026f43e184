import type { TestHoldout } from '../test/helpers/holdout-server.js';
import { upload } from '../test/helpers/holdout-server.js';

/** Timings of one submission, in ms. */
export interface SubmissionTimings {
  /** Upload until the 201 (HTTP, multipart, unzip check, blob, database). */
  accepted: number;
  /** Upload until scored. */
  endToEnd: number;
  /** The run itself, as the executor measured it. */
  runWall: number;
}

/** Submits `zip` `runs` times, one after another, to the in-process worker, and times each. */
export async function timeSubmissions(h: TestHoldout, token: string, zip: string, runs: number): Promise<SubmissionTimings[]> {
  const worker = h.ctx.worker;
  if (!worker) throw new Error('no in-process worker');
  const timings: SubmissionTimings[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    let id = '';
    let uploaded: () => void = () => {};
    const known = new Promise<void>((resolve) => (uploaded = resolve));
    const finished = new Promise<number>((resolve, reject) => {
      const onStatus = async (sid: string) => {
        // A trivial run may end before the upload's answer names it: wait for the id.
        await known;
        if (sid !== id) return;
        const row = await h.ctx.submissions.get(sid);
        if (row && (row.status === 'scored' || row.status === 'failed')) {
          worker.off('status', onStatus);
          if (row.status !== 'scored') reject(new Error(`bench submission failed: ${row.reason}: ${row.message}`));
          else resolve(row.run_ms ?? Number.NaN);
        }
      };
      worker.on('status', onStatus);
    });
    const sent = await upload(h.url, token, 'digits', zip);
    const accepted = performance.now() - t;
    id = String(sent.body.id);
    uploaded();
    if (sent.status !== 201) throw new Error(`upload failed: ${JSON.stringify(sent.body)}`);
    const runWall = await finished;
    timings.push({ accepted, endToEnd: performance.now() - t, runWall });
  }
  return timings;
}

/** Median, 95th percentile and minimum. */
export function stats(xs: number[]): { median: number; p95: number; min: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { median: at(0.5), p95: at(0.95), min: s[0] ?? Number.NaN };
}
