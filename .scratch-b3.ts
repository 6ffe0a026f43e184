import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { forEachCsvRecord } from './src/scoring/csv-records.js';
const file = '/tmp/bench/format.csv';
const mode = process.argv[2];
let t = performance.now(); let n = 0;
const m = new Map<string, number>(); const ids: string[] = [];
await forEachCsvRecord(createReadStream(file, { highWaterMark: 1 << 20 }), (r) => {
  if (mode === 'map') m.set(r[0]!, n);
  if (mode === 'arr') ids.push(r[0]!);
  n++;
});
console.log(mode, n, ((performance.now() - t) / 1000).toFixed(1), (process.memoryUsage().rss/2**20).toFixed(0));
