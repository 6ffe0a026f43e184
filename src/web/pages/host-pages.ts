import { api, uploadFile, type Submission } from '../api.js';
import { errorBox, navigate, render, type PageFn } from '../app.js';
import { fmtDate, fmtMs, fmtScore, h, mount } from '../dom.js';
import { competitionShell, loadCompetition } from './competition-shell.js';
import { UploadProgress } from '../upload-progress.js';

/** A bundle upload form: creates a competition, or updates one with the same slug. */
function bundleForm(label: string, done: (slug: string) => void): HTMLElement {
  const result = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, label);
  const progress = new UploadProgress(button);
  const form = h('form', { class: 'stack' }, h('label', null, 'Bundle zip (competition.yaml and data) ', h('input', { type: 'file', name: 'file', accept: '.zip,application/zip', required: true })), button, progress.element);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const file = new FormData(form).get('file');
    if (!(file instanceof File) || file.size === 0) return;
    const sent = progress.run((onProgress) => uploadFile<{ slug: string; created: boolean }>('/competitions', file, onProgress));
    if (!sent) return;
    mount(result, h('p', null, 'Uploading and checking…'));
    sent
      .then((c) => {
        mount(result, h('p', { class: 'ok' }, c.created ? `Created "${c.slug}".` : `Updated "${c.slug}"; its submissions are kept.`));
        done(c.slug);
      })
      .catch((err: unknown) => mount(result, h('h3', null, 'The bundle was not accepted'), errorBox(err)));
  });
  return h('div', null, form, result);
}

export const newCompetitionPage: PageFn = async ({ user }) => ({
  title: 'New competition',
  body: [h('h1', null, 'New competition'), user && user.role !== 'participant'
    ? [h('p', null, 'Upload a bundle: a zip of a folder with competition.yaml and its data. Every problem is listed if it does not validate. Uploading a bundle with the slug of a competition you host updates it (new dates, limits) and keeps its submissions.'),
      bundleForm('Upload bundle', (slug) => setTimeout(() => navigate(`/c/${encodeURIComponent(slug)}/host`), 800))]
    : h('p', null, 'Only hosts and admins create competitions.')],
});

export const hostPage: PageFn = async ({ params }) => {
  const c = await loadCompetition(params.slug ?? '');
  const slug = encodeURIComponent(c.slug);
  const status = h('div', { 'aria-live': 'polite' });
  const act = (p: Promise<unknown>) => void p.then(render).catch((e: unknown) => mount(status, errorBox(e)));
  const subs = await api<(Submission & { team: string | null })[]>('GET', `/competitions/${slug}/host/submissions`);
  const dqs = await api<{ username: string; reason: string; since: string }[]>('GET', `/competitions/${slug}/disqualifications`);
  const dqForm = h('form', { class: 'row' }, h('label', null, 'Username ', h('input', { name: 'username', required: true })), h('label', null, 'Reason ', h('input', { name: 'reason', required: true, minlength: 3 })), h('button', { type: 'submit' }, 'Disqualify'));
  dqForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const d = new FormData(dqForm);
    act(api('POST', `/competitions/${slug}/disqualifications`, { username: String(d.get('username')), reason: String(d.get('reason')) }));
  });
  const table = h('table', null,
    h('thead', null, h('tr', null, ['Submitted', 'Participant', 'Team', 'Kind', 'Status', 'Reason', 'Duration', 'Public', 'Private', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, subs.map((s) => h('tr', null,
      h('td', null, h('a', { href: `/s/${s.id}` }, fmtDate(s.createdAt))), h('td', null, s.username ?? ''), h('td', null, s.team ?? ''), h('td', null, s.kind), h('td', null, s.status), h('td', null, s.reason ?? ''),
      h('td', null, fmtMs(s.runMs)), h('td', null, fmtScore(s.publicScore)), h('td', null, fmtScore(s.privateScore)),
      h('td', null, ['scored', 'failed', 'cancelled'].includes(s.status)
        ? [
            h('button', { type: 'button', class: 'secondary', onclick: () => act(api('POST', `/submissions/${s.id}/rerun`)) }, 'Re-run'),
            ...(s.status === 'cancelled' ? [] : [' ', h('button', { type: 'button', class: 'secondary', onclick: () => act(api('POST', `/submissions/${s.id}/rescore`)) }, 'Re-score')]),
          ]
        : h('button', { type: 'button', class: 'secondary', onclick: () => act(api('POST', `/submissions/${s.id}/cancel`)) }, 'Cancel'))))));
  return {
    title: `Host · ${c.title}`,
    body: competitionShell(c, '/host', status,
      h('h2', null, 'Private leaderboard'),
      h('p', null, c.privateRevealed ? 'Revealed: everyone sees the private leaderboard and their private scores.' : 'Hidden from participants.'),
      h('button', { type: 'button', onclick: () => act(api('POST', `/competitions/${slug}/reveal`, { revealed: !c.privateRevealed })) }, c.privateRevealed ? 'Hide the private leaderboard' : 'Reveal the private leaderboard'),
      h('h2', null, 'Downloads'),
      h('ul', null, h('li', null, h('a', { href: `/api/competitions/${slug}/leaderboard.csv?part=public`, download: `${c.slug}-public-leaderboard.csv` }, 'Public leaderboard (CSV)')),
        h('li', null, h('a', { href: `/api/competitions/${slug}/leaderboard.csv?part=private`, download: `${c.slug}-private-leaderboard.csv` }, 'Private leaderboard (CSV)')),
        h('li', null, h('a', { href: `/api/competitions/${slug}/scores.csv`, download: `${c.slug}-scores.csv` }, 'All scores (CSV)'))),
      h('h2', null, `Submissions (${subs.length})`),
      h('p', null,
        h('button', { type: 'button', class: 'secondary', onclick: () => act(api('POST', `/competitions/${slug}/rescore`)) }, 'Re-score all full runs'), ' ',
        h('button', { type: 'button', class: 'secondary', onclick: () => act(api('POST', `/competitions/${slug}/rerun`)) }, 'Re-run all full runs'), ' ',
        h('a', { href: '/queue' }, 'See the queue')),
      h('div', { class: 'scroll' }, table),
      h('h2', null, 'Disqualifications'),
      dqs.length ? h('ul', null, dqs.map((d) => h('li', null, `${d.username}: ${d.reason} `, h('button', { type: 'button', class: 'secondary', onclick: () => act(api('DELETE', `/competitions/${slug}/disqualifications/${encodeURIComponent(d.username)}`)) }, `Reinstate ${d.username}`)))) : h('p', null, 'None.'),
      dqForm,
      h('h2', null, 'Update the bundle'),
      h('p', null, `Upload a bundle with slug "${c.slug}" to change dates, limits or data; submissions are kept. Current version from ${fmtDate(c.updatedAt)}.`),
      bundleForm('Upload new version', () => setTimeout(() => void render(), 800))),
  };
};

export const queuePage: PageFn = async () => {
  const q = await api<{ queued: { id: string; competition: string; username: string; kind: string; since: string }[]; running: { id: string; competition: string; username: string; kind: string; status: string; worker: string | null; since: string | null }[]; workers: { id: string; hostname: string; seenAt: string; capacity: number }[] }>('GET', '/queue');
  const list = <T>(rows: T[], cols: string[], cells: (r: T) => (string | HTMLElement)[]) =>
    rows.length ? h('table', null, h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c)))), h('tbody', null, rows.map((r) => h('tr', null, cells(r).map((x) => h('td', null, x)))))) : h('p', null, 'None.');
  return {
    title: 'Queue',
    body: [h('h1', null, 'Queue'), h('button', { type: 'button', class: 'secondary', onclick: () => void render() }, 'Refresh'),
      h('h2', null, `Running (${q.running.length})`), list(q.running, ['Competition', 'Participant', 'Kind', 'Status', 'Worker', 'Since'], (r) => [r.competition, r.username, r.kind, r.status, r.worker ?? '', fmtDate(r.since)]),
      h('h2', null, `Queued (${q.queued.length})`), list(q.queued, ['Competition', 'Participant', 'Kind', 'Queued at'], (r) => [r.competition, r.username, r.kind, fmtDate(r.since)]),
      h('h2', null, `Workers alive (${q.workers.length})`), list(q.workers, ['Worker', 'Host', 'Capacity', 'Last seen'], (w) => [w.id, w.hostname, String(w.capacity), fmtDate(w.seenAt)])],
  };
};
