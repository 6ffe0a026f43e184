import assert from 'node:assert/strict';
import { it } from 'node:test';
import { bestScoreHistory, finalCandidates } from './score-history.js';

it('keeps one point per improvement of each entrant', () => {
  const h = bestScoreHistory(
    [
      { entrant: 'a', score: 0.5, createdAt: '1' },
      { entrant: 'b', score: 0.7, createdAt: '2' },
      { entrant: 'a', score: 0.4, createdAt: '3' },
      { entrant: 'a', score: 0.8, createdAt: '4' },
      { entrant: 'c', score: 0.9, createdAt: '5' },
    ],
    ['a', 'b'],
    true,
  );
  assert.deepEqual(h, [
    { entrant: 'a', points: [{ at: '1', score: 0.5 }, { at: '4', score: 0.8 }] },
    { entrant: 'b', points: [{ at: '2', score: 0.7 }] },
  ]);
});

it('counts selected submissions, else the n best public ones', () => {
  const s = (id: string, publicScore: number | null, selected = false) => ({ id, publicScore, selected, createdAt: id });
  assert.deepEqual(finalCandidates([s('1', 0.5), s('2', 0.9), s('3', 0.7), s('4', null)], 2, true).map((x) => x.id), ['2', '3']);
  assert.deepEqual(finalCandidates([s('1', 0.5, true), s('2', 0.9)], 2, true).map((x) => x.id), ['1']);
  assert.deepEqual(finalCandidates([s('1', 0.5), s('2', 0.1)], 1, false).map((x) => x.id), ['2']);
});
