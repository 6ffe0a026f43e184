import { api, type Competition, type Submission } from '../api.js';
import { errorBox, render, type PageFn } from '../app.js';
import { fmtBytes, fmtDate, fmtMs, fmtScore, h, mount } from '../dom.js';
import { competitionShell, loadCompetition, signInFirst } from './competition-shell.js';
import { isFinal } from './live-submission.js';

/**
 * Which of my submissions count, as the leaderboard decides it: the best scored full run on the
 * public board (the earlier of equal ones), and for the final ranking the ticked ones or, with
 * none ticked, the best public ones. Pure.
 */
export function countingEntries(rows: readonly Submission[], c: Pick<Competition, 'metric' | 'finalSelections'>): { board: string | undefined; final: Set<string> } {
  const better = (a: Submission, b: Submission) => {
    const [x, y] = [a.publicScore ?? NaN, b.publicScore ?? NaN];
    return x !== y ? (c.metric.higherIsBetter ? x > y : x < y) : a.createdAt < b.createdAt;
  };
  const scored = rows.filter((s) => s.kind === 'full' && s.status === 'scored' && Number.isFinite(s.publicScore ?? NaN)).sort((a, b) => (better(a, b) ? -1 : 1));
  const ticked = scored.filter((s) => s.selected);
  return { board: scored[0]?.id, final: new Set((ticked.length ? ticked : scored.slice(0, c.finalSelections)).map((s) => s.id)) };
}

export const submissionsPage: PageFn = async ({ params, user, onLeave }) => {
  const c = await loadCompetition(params.slug ?? '');
  if (!user) return { title: `My submissions · ${c.title}`, body: competitionShell(c, '/submissions', signInFirst(location.pathname)) };
  const rows = await api<Submission[]>('GET', `/competitions/${encodeURIComponent(c.slug)}/submissions`);
  const status = h('div', { 'aria-live': 'polite' });
  const choose = (s: Submission) => (e: Event) => {
    const box = e.target as HTMLInputElement;
    api('PUT', `/submissions/${s.id}/selection`, { selected: box.checked }).then(render).catch((err: unknown) => {
      box.checked = !box.checked;
      mount(status, errorBox(err));
    });
  };
  const metrics = [c.metric.metric, ...c.extraMetrics.map((m) => m.metric)];
  const counts = countingEntries(rows, c);
  const countsCell = (s: Submission) =>
    [counts.board === s.id ? h('span', { class: 'chip counts' }, 'on the leaderboard') : null, counts.final.has(s.id) ? h('span', { class: 'chip counts' }, 'final ranking') : null];
  const statusCell = (s: Submission) => h('td', { 'data-status': s.id }, s.status);
  const table = h('table', null,
    h('thead', null, h('tr', null, ['Submitted', 'By', 'Kind', 'Status', 'Reason', 'Duration', ...metrics.map((m) => `${m} (public or sample)`), ...(c.privateRevealed ? metrics.map((m) => `${m} (private)`) : []), 'Size', 'Counts', 'Final'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows.map((s) => h('tr', counts.board === s.id ? { class: 'current' } : null,
      h('td', null, h('a', { href: `/s/${s.id}` }, fmtDate(s.createdAt))), h('td', null, s.username ?? ''),
      // A smoke test's score is on the public sample: it never counts, and says so.
      h('td', null, s.kind === 'smoke' ? 'smoke test (sample score)' : 'full run'), statusCell(s), h('td', null, s.reason ?? ''), h('td', null, fmtMs(s.runMs)),
      metrics.map((m) => h('td', null, fmtScore(s.publicScores?.[m]))), c.privateRevealed ? metrics.map((m) => h('td', null, s.kind === 'full' ? fmtScore(s.privateScores?.[m]) : '')) : null,
      h('td', null, fmtBytes(s.zipBytes)), h('td', null, countsCell(s)),
      h('td', null, s.kind === 'full' && s.status === 'scored' ? h('input', { type: 'checkbox', checked: s.selected, 'aria-label': `Count the submission of ${fmtDate(s.createdAt)} for the final ranking`, onchange: choose(s) }) : '')))));
  // Runs still going update their status in place, and the page refreshes once they end.
  for (const s of rows.filter((r) => !isFinal(r.status))) {
    const events = new EventSource(`/api/submissions/${encodeURIComponent(s.id)}/events`);
    events.addEventListener('status', (e) => {
      const next = JSON.parse((e as MessageEvent<string>).data) as Submission;
      const cell = table.querySelector(`[data-status="${CSS.escape(s.id)}"]`);
      if (cell) cell.textContent = next.status;
      if (isFinal(next.status)) {
        events.close();
        void render();
      }
    });
    events.addEventListener('end', () => events.close());
    onLeave(() => events.close());
  }
  return {
    title: `My submissions · ${c.title}`,
    body: competitionShell(c, '/submissions', h('h2', null, c.me?.team ? `Submissions of team ${c.me.team.name}` : 'My submissions'),
      h('p', null, `Tick up to ${c.finalSelections} scored full runs to count for the final (private) ranking; with none ticked, your best public ones count. Smoke tests are scored on the public sample and never count.`), status,
      rows.length ? h('div', { class: 'scroll' }, table) : h('p', null, 'No submissions yet. ', h('a', { href: `/c/${encodeURIComponent(c.slug)}/submit` }, 'Submit one'), '.')),
  };
};
