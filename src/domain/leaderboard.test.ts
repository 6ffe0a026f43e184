import assert from 'node:assert/strict';
import { it } from 'node:test';
import { rankLeaderboard, sharedRanks, type ScoredEntry } from './leaderboard.js';

const entry = (userId: string, score: number, createdAt: string): ScoredEntry => ({
  userId, username: userId, submissionId: `${userId}-${createdAt}`, score, scores: { accuracy: score }, createdAt,
});

it('keeps the best entry per participant and counts entries', () => {
  const rows = rankLeaderboard([entry('a', 0.8, '1'), entry('a', 0.9, '2'), entry('b', 0.85, '1')], true);
  assert.deepEqual(rows.map((r) => [r.rank, r.userId, r.score, r.entries]), [[1, 'a', 0.9, 2], [2, 'b', 0.85, 1]]);
});

it('breaks ties by the earlier submission, also within one participant', () => {
  const rows = rankLeaderboard([entry('late', 0.9, '2026-01-02'), entry('early', 0.9, '2026-01-01'), entry('early', 0.9, '2026-01-03')], true);
  assert.deepEqual(rows.map((r) => r.userId), ['early', 'late']);
  assert.equal(rows[0]?.createdAt, '2026-01-01');
});

it('ranks lower-is-better metrics ascending and ignores non-finite scores', () => {
  const rows = rankLeaderboard([entry('a', 2, '1'), entry('b', 1, '1'), entry('c', Number.NaN, '1')], false);
  assert.deepEqual(rows.map((r) => r.userId), ['b', 'a']);
});

it('orders entries tied on score and time by submission id, whatever order they arrive in', () => {
  const a = { ...entry('a', 0.5, 't'), submissionId: 'id-1' };
  const b = { ...entry('b', 0.5, 't'), submissionId: 'id-2' };
  assert.deepEqual(rankLeaderboard([a, b], true).map((r) => r.userId), ['a', 'b']);
  assert.deepEqual(rankLeaderboard([b, a], true).map((r) => r.userId), ['a', 'b']);
});

it('gives equal scores a shared rank', () => {
  assert.deepEqual(sharedRanks([0.9, 0.8, 0.8, 0.7, 0.7, 0.7, 0.1]), [1, 2, 2, 4, 4, 4, 7]);
  assert.deepEqual(sharedRanks([]), []);
});
