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
    // A smoke test is scored on the public sample: its score says nothing about the leaderboard.
    s.status === 'scored' ? h('p', null, `${s.kind === 'smoke' ? 'Sample score (smoke test)' : 'Public score'}: ${fmtScore(s.publicScore)}`, s.privateScore !== undefined && s.kind === 'full' ? ` · private score: ${fmtScore(s.privateScore)}` : '') : null,
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
export function liveSubmission(initial: Submission, onLeave: (fn: () => void) => void, timeLimitMs?: number, onChange?: (s: Submission) => void): HTMLElement {
  const panel = h('div', { 'aria-live': 'polite' }, statusPanel(initial));
  const clock = h('p', { class: 'muted clock' });
  const log = h('pre', { class: 'log', tabindex: 0, 'aria-label': 'Log' });
  const logBox = h('div', null);
  const showLog = () =>
    apiText(`/submissions/${initial.id}/logs`).then((text) => mount(logBox, h('h3', null, 'Log'), h('pre', { class: 'log', tabindex: 0 }, text || '(empty)'))).catch((e: unknown) => mount(logBox, errorBox(e)));
  if (initial.kind === 'smoke' && !isFinal(initial.status)) mount(logBox, h('h3', null, 'Log (live)'), log);
  if (isFinal(initial.status)) {
    if (initial.logBytes !== null && initial.logs !== 'reason-only') mount(logBox, h('button', { type: 'button', class: 'secondary', onclick: () => void showLog() }, 'Show the log'));
    return h('div', null, panel, logBox);
  }
  // Elapsed time against the limit, ticking while the code runs (the server sends no ticks).
  let current = initial;
  const tick = () => {
    const started = current.startedAt ? Date.parse(current.startedAt) : NaN;
    clock.hidden = current.status !== 'running' || !Number.isFinite(started);
    if (!clock.hidden) clock.textContent = `Running for ${fmtElapsed(Date.now() - started)}${timeLimitMs ? ` of the ${fmtElapsed(timeLimitMs)} time limit` : ''}`;
  };
  tick();
  const ticker = setInterval(tick, 1000);
  const events = new EventSource(`/api/submissions/${encodeURIComponent(initial.id)}/events`);
  events.addEventListener('status', (e) => {
    const s = (current = JSON.parse((e as MessageEvent<string>).data) as Submission);
    mount(panel, statusPanel(s));
    tick();
    if (isFinal(s.status)) clearInterval(ticker);
    onChange?.(s);
    if (isFinal(s.status) && s.logBytes !== null && s.kind === 'full' && initial.logs !== 'reason-only') mount(logBox, h('button', { type: 'button', class: 'secondary', onclick: () => void showLog() }, 'Show the log'));
  });
  // Each event is the text as printed, line breaks included: nothing is added between chunks.
  events.addEventListener('log', (e) => log.append((e as MessageEvent<string>).data));
  events.addEventListener('end', () => events.close());
  onLeave(() => {
    events.close();
    clearInterval(ticker);
  });
  return h('div', null, panel, clock, logBox);
}

/** 0:07, 1:30, 12:05: minutes and seconds, as a stopwatch shows them. */
function fmtElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

/** The runtime a run used, its digest shortened as image tags are. */
function runtimeText(runtime: Submission['runtime']): string {
  if (!runtime) return '';
  return ` · runtime ${runtime.name}${runtime.digest ? ` (${runtime.digest.replace(/^sha256:/, '').slice(0, 12)})` : ''}`;
}
