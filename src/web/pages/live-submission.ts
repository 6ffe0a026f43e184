import { apiText, type Submission } from '../api.js';
import { errorBox } from '../app.js';
import { fmtBytes, fmtDate, fmtMs, fmtScore, h, mount } from '../dom.js';

const statusWords: Record<string, string> = {
  queued: 'Queued: waiting for a worker',
  running: 'Running your code',
  scoring: 'Scoring the predictions',
  scored: 'Scored',
  failed: 'Failed',
  cancelled: 'Cancelled',
};
export const isFinal = (status: string) => ['scored', 'failed', 'cancelled'].includes(status);

/** The status of a submission in words, with the failure reason and what to do about it. */
export function statusPanel(s: Submission): HTMLElement {
  return h('div', { class: `status status-${s.status}` },
    h('p', null, h('strong', { class: 'badge' }, statusWords[s.status] ?? s.status), ` · ${s.kind === 'smoke' ? 'smoke test' : 'full run'} · submitted ${fmtDate(s.createdAt)}`),
    s.status === 'scored' ? h('p', null, `Public score: ${fmtScore(s.publicScore)}`, s.privateScore !== undefined ? ` · private score: ${fmtScore(s.privateScore)}` : '') : null,
    s.reason ? h('div', { class: 'error' }, h('p', null, h('strong', null, `Reason: ${s.reason.replace(/_/g, ' ')}. `), s.message ?? ''), s.advice ? h('p', null, `What to do: ${s.advice}`) : null) : null,
    s.status === 'cancelled' && s.message ? h('p', null, s.message) : null,
    h('p', { class: 'muted' }, `Run time ${fmtMs(s.runMs)} · exit code ${s.exitCode ?? '—'} · `,
      h('a', { href: `/api/submissions/${encodeURIComponent(s.id)}/code`, download: true }, `code (zip, ${fmtBytes(s.zipBytes)})`),
      ` · attempt ${s.attempts}${runtimeText(s.runtime)}`),
  );
}

/**
 * A submission that updates itself from the server-sent events of /api/submissions/:id/events:
 * its status as it changes and, for a smoke test, its log while it runs. Closed on leaving.
 */
export function liveSubmission(initial: Submission, onLeave: (fn: () => void) => void): HTMLElement {
  const panel = h('div', { 'aria-live': 'polite' }, statusPanel(initial));
  const log = h('pre', { class: 'log', tabindex: 0, 'aria-label': 'Log' });
  const logBox = h('div', null);
  const showLog = () =>
    apiText(`/submissions/${initial.id}/logs`).then((text) => mount(logBox, h('h3', null, 'Log'), h('pre', { class: 'log', tabindex: 0 }, text || '(empty)'))).catch((e: unknown) => mount(logBox, errorBox(e)));
  if (initial.kind === 'smoke' && !isFinal(initial.status)) mount(logBox, h('h3', null, 'Log (live)'), log);
  if (isFinal(initial.status)) {
    if (initial.logBytes !== null) mount(logBox, h('button', { type: 'button', class: 'secondary', onclick: () => void showLog() }, 'Show the log'));
    return h('div', null, panel, logBox);
  }
  const events = new EventSource(`/api/submissions/${encodeURIComponent(initial.id)}/events`);
  events.addEventListener('status', (e) => {
    const s = JSON.parse((e as MessageEvent<string>).data) as Submission;
    mount(panel, statusPanel(s));
    if (isFinal(s.status) && s.logBytes !== null && s.kind === 'full') mount(logBox, h('button', { type: 'button', class: 'secondary', onclick: () => void showLog() }, 'Show the log'));
  });
  // Text only: a log line is participant output and is never parsed as HTML.
  events.addEventListener('log', (e) => log.append((e as MessageEvent<string>).data + '\n'));
  events.addEventListener('end', () => events.close());
  onLeave(() => events.close());
  return h('div', null, panel, logBox);
}

/** The runtime a run used, its digest shortened as image tags are. */
function runtimeText(runtime: Submission['runtime']): string {
  if (!runtime) return '';
  return ` · runtime ${runtime.name}${runtime.digest ? ` (${runtime.digest.replace(/^sha256:/, '').slice(0, 12)})` : ''}`;
}
