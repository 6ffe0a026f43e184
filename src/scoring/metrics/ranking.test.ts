import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { rankingMetric } from './ranking.js';

// Queries with graded relevance over five candidates each, ranked in full by the "participant":
// the labels as a bundle writes them ("d3:2 d1"), the predictions as cells after joining.
const queries = [
  { grades: [3, 0, 2, 0, 1], ranking: [0, 2, 4, 1, 3] },
  { grades: [0, 1, 0, 0, 0], ranking: [4, 3, 2, 1, 0] },
  { grades: [2, 2, 0, 1, 0], ranking: [3, 0, 4, 1, 2] },
  { grades: [0, 0, 0, 0, 0], ranking: [0, 1, 2, 3, 4] },
  { grades: [1, 1, 1, 0, 3], ranking: [2, 4, 0, 3, 1] },
  { grades: [0, 3, 0, 2, 0], ranking: [1, 0, 3, 2, 4] },
];
const labels = queries.map((q) => q.grades.flatMap((g, i) => (g > 0 ? [g === 1 ? `d${i}` : `d${i}:${g}`] : [])).join(' '));
const predictions = queries.map((q) => q.ranking.map((i) => `d${i}`).join(' '));

// The references: scikit-learn for NDCG and full-ranking AP, ml_metrics' apk for MAP@k.
const reference = `import json, sys
import numpy as np
from sklearn.metrics import average_precision_score, ndcg_score
queries = json.loads(sys.argv[1])
true = np.array([q["grades"] for q in queries], dtype=float)
score = np.array([[5 - q["ranking"].index(i) for i in range(5)] for q in queries], dtype=float)
def apk(actual, predicted, k):
    predicted = predicted[:k]; hits = 0; s = 0.0
    for i, p in enumerate(predicted):
        if p in actual and p not in predicted[:i]:
            hits += 1; s += hits / (i + 1)
    return s / min(len(actual), k) if actual else 0.0
out = {"ndcg": ndcg_score(true, score), "ndcg@3": ndcg_score(true, score, k=3), "ndcg@1": ndcg_score(true, score, k=1)}
out["map"] = float(np.mean([average_precision_score(t > 0, s) if (t > 0).any() else 0.0 for t, s in zip(true, score)]))
for k in (2, 3):
    out[f"map@{k}"] = float(np.mean([apk({i for i, g in enumerate(q["grades"]) if g > 0}, q["ranking"], k) for q in queries]))
print(json.dumps(out))
`;

describe('ranking metrics', () => {
  it('match scikit-learn (ndcg_score, average_precision_score) and the usual MAP@k', () => {
    const expected = JSON.parse(execFileSync('/usr/bin/python3', ['-c', reference, JSON.stringify(queries)], { encoding: 'utf8' })) as Record<string, number>;
    for (const [name, value] of Object.entries(expected)) {
      const fn = rankingMetric(name);
      assert.ok(fn, name);
      assert.ok(Math.abs(fn(labels, predictions) - value) < 1e-9, `${name}: ${fn(labels, predictions)} vs ${value}`);
    }
  });

  it('counts a result once, ignores what is not ranked, and names a bad grade', () => {
    const map = rankingMetric('map')!;
    assert.equal(map(['a b'], ['a a b']), 1);
    assert.equal(map(['a b'], ['a']), 0.5);
    assert.equal(rankingMetric('ndcg@2')!(['a:2 b'], ['c a b']), 2 / Math.log2(3) / (2 + 1 / Math.log2(3)));
    assert.throws(() => map(['a:x'], ['a']), /no valid grade/);
    assert.equal(rankingMetric('map@0'), undefined);
    assert.equal(rankingMetric('mapk'), undefined);
  });
});
