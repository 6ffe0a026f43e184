import { api } from '../api.js';
import { errorBox } from '../app.js';
import { fmtDate, h, mount } from '../dom.js';

/** A determinism check as GET /api/submissions/:id/determinism-checks shows it (hosts only). */
export interface DeterminismCheck {
  id: string; status: 'queued' | 'running' | 'identical' | 'different' | 'failed'; reason: string | null; tolerance: number;
  requestedAt: string; finishedAt: string | null; worker: string | null; originalWorker: string | null; sameWorker: boolean | null;
  result: {
    predictions: { compared: true; rows: number; differingRows: number; missingRows: number; extraRows: number; differences: { row: string; column: string; original: string; rerun: string }[] } | { compared: false; why: string };
    scores: { part: string; metric: string; original: number | null; rerun: number | null; agree: boolean }[];
  } | null;
}

const final = (s: DeterminismCheck['status']) => s === 'identical' || s === 'different' || s === 'failed';

/**
 * The hosts' determinism checks of a submission: ask for one (the code runs again on another
 * worker where one is free) and see each check's state, reason and the rows and scores that differ.
 */
export function determinismPanel(submissionId: string, onLeave: (fn: () => void) => void): HTMLElement {
  const list = h('div', { 'aria-live': 'polite' });
  const base = `/submissions/${encodeURIComponent(submissionId)}/determinism-checks`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  onLeave(() => clearTimeout(timer));
  const refresh = async () => {
    clearTimeout(timer);
    try {
      const checks = await api<DeterminismCheck[]>('GET', base);
      mount(list, checks.length ? checks.map(checkView) : h('p', { class: 'muted' }, 'No check yet.'));
      // Polled while one runs: checks have no event stream of their own.
      if (checks.some((c) => !final(c.status))) timer = setTimeout(() => void refresh(), 2000);
    } catch (err) {
      mount(list, errorBox(err));
    }
  };
  const button = h('button', { type: 'button', class: 'secondary', onclick: () => {
    button.disabled = true;
    api('POST', base, {}).then(refresh, (err: unknown) => mount(list, errorBox(err))).finally(() => (button.disabled = false));
  } }, 'Check determinism');
  void refresh();
  return h('section', { class: 'determinism' },
    h('h2', null, 'Determinism'),
    h('p', { class: 'muted' }, 'Runs this submission again, on another worker where one is free, and compares its predictions row by row and its scores. Uses none of the participant\u2019s quota and changes no score; only hosts see it.'),
    button, list);
}

function checkView(c: DeterminismCheck): HTMLElement {
  const p = c.result?.predictions;
  const differing = c.result?.scores.filter((s) => !s.agree) ?? [];
  return h('div', { class: `check check-${c.status}` },
    h('p', null, h('strong', { class: 'badge' }, c.status), ` · asked ${fmtDate(c.requestedAt)}`, c.finishedAt ? ` · ended ${fmtDate(c.finishedAt)}` : '',
      c.worker ? ` · ran on ${c.worker}${c.sameWorker ? ' (the original worker: no other was available)' : c.originalWorker ? ` (the original ran on ${c.originalWorker})` : ''}` : ''),
    c.reason ? h('p', null, c.reason) : null,
    p && !p.compared ? h('p', { class: 'muted' }, p.why) : null,
    p && p.compared && p.differences.length
      ? h('table', { class: 'differences' },
          h('caption', null, `Differing cells (first ${p.differences.length}; tolerance ${c.tolerance})`),
          h('thead', null, h('tr', null, ...['Row', 'Column', 'Original', 'Re-run'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, p.differences.map((d) => h('tr', null, h('td', null, d.row), h('td', null, d.column), h('td', null, d.original), h('td', null, d.rerun)))))
      : null,
    differing.length ? h('ul', null, differing.map((s) => h('li', null, `${s.part} ${s.metric}: ${s.original ?? '—'} → ${s.rerun ?? '—'}`))) : null,
  );
}
