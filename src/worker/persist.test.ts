import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { persist } from './persist.js';

const log = pino({ level: 'silent' });
const lost = () => Object.assign(new Error('Connection terminated unexpectedly'), { transient: true });
const transient = (err: unknown) => (err as { transient?: boolean }).transient === true;

/** A write that fails `failures` times with a lost connection, then returns `value`. */
function flaky<T>(failures: number, value: T): { write: () => Promise<T>; calls: () => number } {
  let calls = 0;
  return {
    write: async () => {
      if (++calls <= failures) throw lost();
      return value;
    },
    calls: () => calls,
  };
}

describe('persist: recording a result while the database is away', () => {
  it('tries again until the write goes through', async () => {
    const w = flaky(3, true);
    assert.equal(await persist('recording', w.write, { withinMs: 10_000, transient, log }), true);
    assert.equal(w.calls(), 4);
  });

  it('gives up with the last error once the time is spent', async () => {
    const w = flaky(1000, true);
    const began = Date.now();
    await assert.rejects(persist('recording', w.write, { withinMs: 2000, transient, log }), /Connection terminated/);
    assert.ok(w.calls() >= 2, `tried ${w.calls()} times`);
    assert.ok(Date.now() - began < 5000);
  });

  it('throws an error that trying again would repeat (a refused statement) at once', async () => {
    let calls = 0;
    const refused = async () => {
      calls++;
      throw new Error('NOT NULL constraint failed');
    };
    await assert.rejects(persist('recording', refused, { withinMs: 10_000, transient, log }), /constraint/);
    assert.equal(calls, 1);
  });

  it('stops trying once its attempt is aborted (lease lost, drain)', async () => {
    const w = flaky(1000, true);
    const abort = new AbortController();
    setTimeout(() => abort.abort('lease_lost'), 150);
    await assert.rejects(persist('recording', w.write, { withinMs: 60_000, signal: abort.signal, transient, log }), /Connection terminated|lease_lost/);
    assert.ok(w.calls() <= 4, `tried ${w.calls()} times`);
  });

  it('does not wait for ever on a write that hangs (a connection to a host that vanished)', async () => {
    const hangs = () => new Promise<never>(() => undefined);
    await assert.rejects(persist('recording', hangs, { withinMs: 200, transient, log }), /no answer from the database within/);
    const abort = new AbortController();
    setTimeout(() => abort.abort('drain'), 100);
    await assert.rejects(persist('recording', hangs, { withinMs: 60_000, signal: abort.signal, transient, log }), /stopped waiting for the database: drain/);
  });

  it('does not retry a write that succeeds, nor change its value', async () => {
    const w = flaky(0, { recorded: false });
    assert.deepEqual(await persist('recording', w.write, { withinMs: 0, transient, log }), { recorded: false });
    assert.equal(w.calls(), 1);
  });
});
