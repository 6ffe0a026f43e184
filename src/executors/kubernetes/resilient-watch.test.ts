import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resilientWatch, type WatchSource, type WatchUpdate } from './resilient-watch.js';

interface Obj {
  metadata: { name: string; resourceVersion: string };
}
const obj = (name: string, rv: string): Obj => ({ metadata: { name, resourceVersion: rv } });

/**
 * A scripted API server: each watch call plays the next script step (events, then how the stream
 * ends), and records the resourceVersion it was asked to continue from.
 */
function scripted(lists: Obj[][], steps: { events: [string, unknown][]; end: 'close' | Error | 'hang' }[]) {
  const calls: string[] = [];
  // Until aborted (which may have happened already, during the events).
  const hang = (signal: AbortSignal) => new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve())));
  let listed = 0;
  const source: WatchSource<Obj> = {
    async list() {
      const items = lists[listed++] ?? [];
      calls.push(`list`);
      return { items, resourceVersion: String(100 * listed) };
    },
    async watch(rv, onEvent, signal) {
      calls.push(`watch@${rv}`);
      const step = steps.shift();
      if (!step) return hang(signal);
      for (const [type, o] of step.events) onEvent(type, o);
      if (step.end instanceof Error) throw step.end;
      if (step.end === 'hang') return hang(signal);
    },
  };
  return { source, calls };
}

async function collect(source: WatchSource<Obj>, until: (u: WatchUpdate<Obj>[]) => boolean) {
  const updates: WatchUpdate<Obj>[] = [];
  const stop = new AbortController();
  const done = resilientWatch(source, (u) => {
    updates.push(u);
    if (until(updates)) stop.abort();
  }, stop.signal, { retryMs: 1 });
  await done;
  return updates;
}

describe('resilient watch', () => {
  it('continues from the last resourceVersion after the server closes the stream or the connection drops', async () => {
    const { source, calls } = scripted([[obj('a', '1')]], [
      { events: [['ADDED', obj('p', '101')], ['BOOKMARK', obj('', '150')]], end: 'close' },
      { events: [['MODIFIED', obj('p', '160')]], end: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) },
      { events: [['DELETED', obj('p', '170')]], end: 'hang' },
    ]);
    const updates = await collect(source, (u) => u.at(-1)?.type === 'DELETED');
    assert.deepEqual(calls, ['list', 'watch@100', 'watch@150', 'watch@160']);
    assert.deepEqual(updates.map((u) => u.type), ['LIST', 'ADDED', 'MODIFIED', 'DELETED']);
  });

  it('410 Gone, as an ERROR event or as the response: relists and hands over the new list', async () => {
    const gone = { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' };
    const { source, calls } = scripted([[obj('a', '1')], [obj('b', '2')], [obj('c', '3')]], [
      { events: [['ERROR', gone], ['ADDED', obj('ignored', '999')]], end: 'hang' },
      { events: [], end: Object.assign(new Error('Gone'), { statusCode: 410 }) },
      { events: [['ADDED', obj('q', '301')]], end: 'hang' },
    ]);
    const updates = await collect(source, (u) => u.at(-1)?.type === 'ADDED');
    assert.deepEqual(calls, ['list', 'watch@100', 'list', 'watch@200', 'list', 'watch@300']);
    assert.deepEqual(updates.map((u) => (u.type === 'LIST' ? `LIST ${u.items.map((i) => i.metadata.name)}` : `${u.type} ${u.object.metadata.name}`)), ['LIST a', 'LIST b', 'LIST c', 'ADDED q']);
  });

  it('gives up after failures in a row, and at once on a refused watch', async () => {
    const fail = () => ({ events: [] as [string, unknown][], end: new Error('connect ECONNREFUSED') });
    const down = scripted([[]], Array.from({ length: 8 }, fail));
    await assert.rejects(resilientWatch(down.source, () => {}, new AbortController().signal, { retryMs: 1 }), /ECONNREFUSED/);
    const forbidden = scripted([[]], [{ events: [['ERROR', { code: 403, message: 'pods is forbidden' }]], end: 'hang' }]);
    await assert.rejects(resilientWatch(forbidden.source, () => {}, new AbortController().signal, { retryMs: 1 }), /refused: pods is forbidden/);
  });
});
