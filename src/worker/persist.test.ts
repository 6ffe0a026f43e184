import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { persist } from './persist.js';

const log = pino({ level: 'silent' });

/** A write that fails `failures` times with a connection error, then returns `value`. */
function flaky<T>(failures: number, value: T): { write: () => Promise<T>; calls: () => number } {
  let calls = 0;
  return {
    write: async () => {
      if (++calls <= failures) throw Object.assign(new Error('Connection terminated unexpectedly'), { call: calls });
      return value;
    },
    calls: () => calls,
  };
}

describe('persist: recording a result while the database is away', () => {
  it('tries again until the write goes through', async () => {
    const w = flaky(3, true);
    assert.equal(await persist('recording', w.write, { withinMs: 10_000, log }), true);
    assert.equal(w.calls(), 4);
  });

  it('gives up with the last error once the time is spent', async () => {
    const w = flaky(1000, true);
    const began = Date.now();
    await assert.rejects(persist('recording', w.write, { withinMs: 500, log }), /Connection terminated/);
    assert.ok(w.calls() >= 3, `tried ${w.calls()} times`);
    assert.ok(Date.now() - began < 2000);
  });

  it('stops trying once its attempt is aborted (lease lost, drain)', async () => {
    const w = flaky(1000, true);
    const abort = new AbortController();
    setTimeout(() => abort.abort('lease_lost'), 150);
    await assert.rejects(persist('recording', w.write, { withinMs: 60_000, signal: abort.signal, log }), /Connection terminated/);
    assert.ok(w.calls() <= 4, `tried ${w.calls()} times`);
  });

  it('does not retry a write that succeeds, nor swallow its value', async () => {
    const w = flaky(0, { recorded: false });
    assert.deepEqual(await persist('recording', w.write, { withinMs: 0, log }), { recorded: false });
    assert.equal(w.calls(), 1);
  });
});
