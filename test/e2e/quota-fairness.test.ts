import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testDialects } from '../../src/db/test-databases.case.js';
import { startHoldout, upload, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { call } from '../web/web-client.js';

type Quota = { full: { used: number }; failed: { limit: number; used: number }; budget: { cpu: { usedMs: number; limitMs: number; leftMs: number }; gpu: null; resetsAt: string } };

for (const dialect of testDialects) {
  describe(`quota fairness: a failed-run allowance and a weekly compute budget (${dialect.name})`, { skip: dialect.skip }, () => {
    let h: TestHoldout;
    let token: string;
    const quota = async () => ((await call(h.url, 'GET', '/api/competitions/digits', token)).body as { me: { quota: Quota } }).me.quota;
    const run = async (zip: string, status: string) => {
      const sent = await upload(h.url, token, 'digits', zip);
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      assert.equal((await waitForFinal(h.url, token, String(sent.body.id))).status, status);
    };
    before(async () => {
      h = await startHoldout({ dialect, editYaml: (y) => y.replace('daily_quota: 10 }', 'daily_quota: 3, failed_quota: 1, weekly_budget: { cpu_time: 1s } }') });
      token = await h.participant('dana');
    });
    after(() => h.close());

    it('lets the first failure of the day use its own allowance, the next one the quota', async () => {
      const failing = await trivialSubmission({ preamble: 'raise SystemExit(1)' });
      await run(failing, 'failed');
      let q = await quota();
      assert.deepEqual([q.full.used, q.failed.used, q.failed.limit], [0, 1, 1]);
      await run(failing, 'failed');
      q = await quota();
      assert.deepEqual([q.full.used, q.failed.used], [1, 1]);
    });

    it('shows the CPU budget as it is used, and refuses a submission once it is spent', async () => {
      const before = (await quota()).budget.cpu;
      assert.equal(before.limitMs, 1000);
      await run(await trivialSubmission({ preamble: 'end = time.process_time() + 1.2\nwhile time.process_time() < end: pass' }), 'scored');
      const q = await quota();
      assert.ok(q.budget.cpu.usedMs >= 1200, `used ${q.budget.cpu.usedMs}`);
      assert.equal(q.budget.cpu.leftMs, 0);
      assert.equal(new Date(q.budget.resetsAt).getUTCDay(), 1, 'resets on a Monday');
      assert.equal(q.full.used, 2, 'a quota slot is left, but the budget is not');
      const refused = await upload(h.url, token, 'digits', await trivialSubmission());
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error, 'budget_exceeded');
      assert.match(String(refused.body.message), /^you have used 1\.\d+s of CPU time of this week's budget of 1s in phase "development"; the budget resets \d{4}-\d\d-\d\dT00:00:00\.000Z \(Monday 00:00 UTC\)$/);
      assert.equal((await quota()).full.used, 2, 'the refused upload left nothing behind');
    });
  });
}
