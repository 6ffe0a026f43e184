import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { ensureExampleModel, exampleSubmission, repoRoot, startHoldout, upload, waitForFinal, zipSubmission, type TestHoldout } from '../helpers/holdout-server.js';

let h: TestHoldout;
before(async () => {
  ensureExampleModel();
  h = await startHoldout();
});
after(() => h.close());

/** The value of one sample line, e.g. `holdout_submissions{status="scored"}`. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line, `no sample ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

it('exposes queue depth, results, durations and workers in Prometheus text format', async () => {
  const token = await h.participant();
  const good = await upload(h.url, token, 'digits', await zipSubmission(exampleSubmission));
  const bad = await upload(h.url, token, 'digits', await zipSubmission(path.join(repoRoot, 'examples', 'broken', 'nonzero_exit')));
  await waitForFinal(h.url, token, String(good.body.id));
  await waitForFinal(h.url, token, String(bad.body.id));

  const res = await fetch(`${h.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(String(res.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.equal(sample(text, 'holdout_submissions{status="scored"}'), 1);
  assert.equal(sample(text, 'holdout_submissions{status="failed"}'), 1);
  assert.equal(sample(text, 'holdout_submissions{status="queued"}'), 0);
  assert.equal(sample(text, 'holdout_runs_total{status="failed",reason="nonzero_exit"}'), 1);
  assert.equal(sample(text, 'holdout_runs_total{status="scored",reason=""}'), 1);
  assert.equal(sample(text, 'holdout_run_duration_seconds_count'), 2);
  assert.equal(sample(text, 'holdout_scoring_duration_seconds_count'), 1);
  assert.ok(sample(text, 'holdout_workers_alive') >= 1, 'the in-process worker is registered');
});
