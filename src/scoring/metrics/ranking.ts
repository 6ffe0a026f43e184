import { checkLengths, MetricError, type MetricFn, type MetricValues } from './metric.js';

// Ranking metrics over queries: one row per query id. A label cell lists the query's relevant
// results, blank-separated, each optionally with a grade (`doc7:3`; default 1); a prediction cell
// lists results best first (several prediction rows of one id are joined in file order before
// scoring: see collapseRankedRows). Results not listed count as not relevant / not ranked.

/** Relevance grade per result of one label cell. */
export function parseRelevance(cell: string): Map<string, number> {
  const grades = new Map<string, number>();
  for (const word of cell.split(/\s+/)) {
    if (word === '') continue;
    const colon = word.lastIndexOf(':');
    const grade = colon > 0 ? Number(word.slice(colon + 1)) : 1;
    if (!Number.isFinite(grade) || grade < 0) throw new MetricError(`the label "${word}" has no valid grade (expected result or result:grade with a grade >= 0)`);
    const item = colon > 0 ? word.slice(0, colon) : word;
    if (grade > 0) grades.set(item, grade);
  }
  return grades;
}

/** The ranked results of one prediction cell, duplicates after their first place dropped, the first `k`. */
export function parseRanking(cell: string, k: number): string[] {
  const seen = new Set<string>();
  for (const word of cell.split(/\s+/)) {
    if (word === '' || seen.has(word)) continue;
    seen.add(word);
    if (seen.size === k) break;
  }
  return [...seen];
}

const text = (values: MetricValues, at: number) => String(values[at] ?? '');

/** The mean over queries of `perQuery`; a query without relevant results scores 0 (scikit-learn's ndcg_score does too). */
function meanOverQueries(labels: MetricValues, predictions: MetricValues, k: number, perQuery: (relevant: Map<string, number>, ranked: string[]) => number): number {
  const n = checkLengths(labels, predictions);
  let sum = 0;
  for (let at = 0; at < n; at++) {
    const relevant = parseRelevance(text(labels, at));
    sum += relevant.size === 0 ? 0 : perQuery(relevant, parseRanking(text(predictions, at), k));
  }
  return sum / n;
}

/**
 * Mean average precision at k (every result when k is Infinity): per query, the sum of the
 * precision at each relevant result's rank within the first k, divided by min(relevant results, k)
 * (the usual MAP@k of ml_metrics' apk and Kaggle; for the full ranking of every candidate it equals
 * scikit-learn's average_precision_score). Grades do not matter: any listed label is relevant.
 */
export function meanAveragePrecision(k: number): MetricFn {
  return (labels, predictions) =>
    meanOverQueries(labels, predictions, k, (relevant, ranked) => {
      let hits = 0;
      let sum = 0;
      ranked.forEach((item, i) => {
        if (relevant.has(item)) sum += ++hits / (i + 1);
      });
      return sum / Math.min(relevant.size, k);
    });
}

/**
 * Normalised discounted cumulative gain at k, as scikit-learn's ndcg_score computes it: linear
 * gains (the grade), discount 1 / log2(rank + 1), divided by the ideal ordering's DCG at k.
 */
export function ndcg(k: number): MetricFn {
  return (labels, predictions) =>
    meanOverQueries(labels, predictions, k, (relevant, ranked) => {
      let dcg = 0;
      ranked.forEach((item, i) => {
        dcg += (relevant.get(item) ?? 0) / Math.log2(i + 2);
      });
      const ideal = [...relevant.values()].sort((a, b) => b - a).slice(0, k);
      const idcg = ideal.reduce((s, g, i) => s + g / Math.log2(i + 2), 0);
      return dcg / idcg;
    });
}

/** `map`, `map@10`, `ndcg`, `ndcg@5`: the ranking metric a name stands for, with its k. */
export const rankingMetricName = /^(map|ndcg)(?:@([1-9]\d{0,5}))?$/;

/** The ranking metric named `name`, or undefined. */
export function rankingMetric(name: string): MetricFn | undefined {
  const m = rankingMetricName.exec(name);
  if (!m) return undefined;
  const k = m[2] === undefined ? Infinity : Number(m[2]);
  return m[1] === 'map' ? meanAveragePrecision(k) : ndcg(k);
}
