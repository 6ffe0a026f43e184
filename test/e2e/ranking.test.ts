import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rankingMetric } from '../../src/scoring/metrics/ranking.js';
import { startHoldout, upload, waitForFinal, zipSubmission, type TestHoldout } from '../helpers/holdout-server.js';

// A ranking competition as DrivenData and Kaggle run them: per query, the candidates to rank; the
// labels list each query's relevant results with grades; a prediction is one row per result, best first.
const yaml = `slug: digits
title: Ranking documents
runtime: host
entrypoint: python3 main.py
limits: { wall_time: 1m, memory: 512MiB, cpus: 1, pids: 64, output: 10MiB }
id_column: query_id
data:
  test_features: rank/features/
  labels: rank/labels.csv
  submission_format: rank/submission_format.csv
scoring:
  primary: { metric: ndcg@3 }
  extra: [ { metric: map } ]
  split: { column: usage, public: Public, private: Private }
phases:
  - { name: development, start: 2026-01-01, end: 2030-01-01, daily_quota: 10 }
`;
const grades: Record<string, Record<string, number>> = { q1: { a: 3, b: 1 }, q2: { c: 2 }, q3: { d: 1, e: 2 }, q4: { f: 1 } };
const candidates: Record<string, string[]> = { q1: ['a', 'b', 'x', 'y'], q2: ['c', 'x', 'z'], q3: ['d', 'e', 'x'], q4: ['f', 'y', 'z'] };
const labelsCsv = `query_id,results,usage\r\n${Object.entries(grades).map(([q, g], i) => `${q},${Object.entries(g).map(([d, n]) => `${d}:${n}`).join(' ')},${i < 2 ? 'Public' : 'Private'}`).join('\r\n')}\r\n`;
const featuresCsv = `query_id,doc_id,relevance_guess\n${Object.entries(candidates).flatMap(([q, docs]) => docs.map((d) => `${q},${d},${grades[q]?.[d] ?? 0}`)).join('\n')}\n`;

// Ranks by the feature, best first (or worst first), one CSV row per result, CRLF (the csv module's default).
const mainPy = (reverse: boolean) => `import csv, os
from collections import defaultdict
ranked = defaultdict(list)
with open(os.path.join(os.environ["HOLDOUT_DATA"], "candidates.csv"), newline="") as f:
    for row in csv.DictReader(f):
        ranked[row["query_id"]].append((float(row["relevance_guess"]), row["doc_id"]))
with open(os.path.join(os.environ["HOLDOUT_OUTPUT"], "submission.csv"), "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["query_id", "results"])
    for query, docs in ranked.items():
        for _, doc in sorted(docs, reverse=${reverse ? 'False' : 'True'}):
            writer.writerow([query, doc])
`;

describe('a ranking competition', () => {
  let h: TestHoldout;
  before(async () => {
    h = await startHoldout({
      editYaml: () => yaml,
      editBundle: async (dir) => {
        await mkdir(path.join(dir, 'rank', 'features'), { recursive: true });
        await writeFile(path.join(dir, 'rank', 'labels.csv'), labelsCsv);
        await writeFile(path.join(dir, 'rank', 'submission_format.csv'), `query_id,results\n${Object.keys(grades).map((q) => `${q},x`).join('\n')}\n`);
        await writeFile(path.join(dir, 'rank', 'features', 'candidates.csv'), featuresCsv);
      },
    });
  });
  after(() => h.close());

  for (const reverse of [false, true]) {
    it(`scores several rows per query by NDCG@3 and MAP (${reverse ? 'worst' : 'best'} first)`, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'holdout-ranking-'));
      await writeFile(path.join(dir, 'main.py'), mainPy(reverse));
      const token = await h.participant();
      const sent = await upload(h.url, token, 'digits', await zipSubmission(dir));
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      const done = await waitForFinal(h.url, token, String(sent.body.id));
      assert.equal(done.status, 'scored', JSON.stringify(done));
      // The public part is q1 and q2; the metric itself is checked against scikit-learn in ranking.test.ts.
      const order = (q: string) => [...(candidates[q] ?? [])].sort((x, y) => (grades[q]?.[x] ?? 0) - (grades[q]?.[y] ?? 0) || x.localeCompare(y));
      const ranked = ['q1', 'q2'].map((q) => (reverse ? order(q) : order(q).reverse()).join(' '));
      const labels = ['q1', 'q2'].map((q) => Object.entries(grades[q] ?? {}).map(([d, n]) => `${d}:${n}`).join(' '));
      const scores = done.publicScores as Record<string, number>;
      assert.ok(Math.abs(Number(scores['ndcg@3']) - rankingMetric('ndcg@3')!(labels, ranked)) < 1e-12, JSON.stringify(scores));
      assert.ok(Math.abs(Number(scores.map) - rankingMetric('map')!(labels, ranked)) < 1e-12, JSON.stringify(scores));
      if (!reverse) assert.deepEqual(scores, { 'ndcg@3': 1, map: 1 });
    });
  }
});
