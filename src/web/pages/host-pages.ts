import { api, type Submission } from '../api.js';
import { errorBox, navigate, render, type PageFn } from '../app.js';
import { fmtBytes, fmtDate, fmtMs, fmtScore, h, mount } from '../dom.js';
import { competitionShell, loadCompetition } from './competition-shell.js';
import { UploadProgress } from '../upload-progress.js';
import { resumableUpload } from '../resumable-upload.js';
import { askFirst, confirmButton } from '../confirm.js';
import { competitionWebhook } from './notification-settings.js';

interface UploadLimits { maxZipBytes: number; maxUnpackedBytes: number; maxFiles: number }

/** A bundle upload form: creates a competition, or updates one with the same slug. */
function bundleForm(label: string, done: (slug: string) => void): HTMLElement {
  // The server publishes what it accepts, so an oversized bundle is refused here, before a byte is sent.
  const limits = api<UploadLimits>('GET', '/upload-limits').catch(() => undefined);
  const result = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, label);
  const progress = new UploadProgress(button);
  const limitNote = h('p', { class: 'muted' });
  void limits.then((l) => l && mount(limitNote, `At most ${fmtBytes(l.maxZipBytes)} zipped, ${fmtBytes(l.maxUnpackedBytes)} unpacked and ${l.maxFiles} files.`));
  const resumeNote = h('p', { class: 'muted' }, 'If the upload stops (a reload, a closed tab, a dropped connection), choose the same zip again: it continues where it stopped.');
  const form = h('form', { class: 'stack' }, h('label', null, 'Bundle zip (competition.yaml and data) ', h('input', { type: 'file', name: 'file', accept: '.zip,application/zip', required: true })), limitNote, resumeNote, button, progress.element);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const file = new FormData(form).get('file');
    if (!(file instanceof File) || file.size === 0) return;
    void limits.then((l) => {
      if (l && file.size > l.maxZipBytes) {
        mount(result, h('h3', null, 'The bundle was not sent'), errorBox(new Error(`${file.name} is ${fmtBytes(file.size)}, larger than this server's limit of ${fmtBytes(l.maxZipBytes)} for one upload; leave large public files out of the bundle or ask the admin to raise HOLDOUT_MAX_UPLOAD_BYTES`)));
        return;
      }
      send(file);
    });
  });
  const send = (file: File) => {
    const onResume = () => mount(result, h('p', null, `Continuing the earlier upload of ${file.name} where it stopped…`));
    const sent = progress.run((onProgress) => {
      const upload = resumableUpload('/competitions/uploads', file, onProgress, { onResume });
      return { ...upload, done: upload.done.then(installed) };
    });
    if (!sent) return;
    mount(result, h('p', null, 'Uploading and checking…'));
    sent
      .then((c) => {
        mount(result, h('p', { class: 'ok' }, c.created ? `Created "${c.slug}".` : `Updated "${c.slug}"; its submissions are kept.`));
        done(c.slug);
      })
      .catch((err: unknown) => mount(result, h('h3', null, 'The bundle was not accepted'), errorBox(err)));
  };
  return h('div', null, form, result);
}

/** What a completed bundle upload installed; an upload resumed after its last answer was lost may still be installing. */
async function installed(id: string): Promise<{ slug: string; created: boolean }> {
  for (;;) {
    const u = await api<{ state: string; competition: { slug: string; created: boolean } | null }>('GET', `/uploads/${encodeURIComponent(id)}`);
    if (u.competition) return u.competition;
    if (u.state !== 'checking') throw new Error(`the server kept the upload but says it is ${u.state}; upload the same zip again`);
    await new Promise((r) => setTimeout(r, 2000));
  }
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
  const subs = await api<(Submission & { team: string | null; rescorable: boolean })[]>('GET', `/competitions/${slug}/host/submissions`);
  const dqs = await api<{ username: string; reason: string; since: string }[]>('GET', `/competitions/${slug}/disqualifications`);
  // A disqualification takes the participant's team off the leaderboard too: mark its rows as well.
  const dqUsers = new Set(dqs.map((d) => d.username));
  const dqTeams = new Set(subs.filter((s) => s.username && dqUsers.has(s.username) && s.team).map((s) => s.team));
  const isDq = (s: Submission) => (s.username !== undefined && dqUsers.has(s.username)) || (!!s.team && dqTeams.has(s.team));
  const dqButton = h('button', { type: 'submit' }, 'Disqualify');
  const dqForm = h('form', { class: 'row' }, h('label', null, 'Username ', h('input', { name: 'username', required: true })), h('label', null, 'Reason ', h('input', { name: 'reason', required: true, minlength: 3 })), dqButton);
  dqForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const d = new FormData(dqForm);
    const username = String(d.get('username'));
    askFirst(dqButton, { question: `Disqualify ${username}? They (and their team) leave the leaderboards and cannot submit.`, yes: `Yes, disqualify ${username}` },
      () => act(api('POST', `/competitions/${slug}/disqualifications`, { username, reason: String(d.get('reason')) })));
  });
  const when = (s: Submission) => fmtDate(s.createdAt);
  const actions = (s: Submission & { rescorable: boolean }) => ['scored', 'failed', 'cancelled'].includes(s.status)
    ? [
        confirmButton('Re-run', { question: `Run ${s.username ?? 'this'}'s submission of ${when(s)} again? Its scores, log and time are replaced.`, yes: 'Yes, re-run' }, () => act(api('POST', `/submissions/${s.id}/rerun`))),
        // Only a run that left predictions can be scored again; the others would silently run instead.
        ...(s.rescorable ? [' ', confirmButton('Re-score', { question: `Score ${s.username ?? 'this'}'s submission of ${when(s)} again from its kept predictions?`, yes: 'Yes, re-score' }, () => act(api('POST', `/submissions/${s.id}/rescore`)))] : []),
      ]
    : confirmButton('Cancel', { question: `Cancel ${s.username ?? 'this'}'s run of ${when(s)}? Its quota slot is given back.`, yes: 'Yes, cancel the run' }, () => act(api('POST', `/submissions/${s.id}/cancel`)));
  const table = h('table', null,
    h('thead', null, h('tr', null, ['Submitted', 'Participant', 'Team', 'Kind', 'Status', 'Reason', 'Duration', 'Public', 'Private', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, subs.map((s) => h('tr', isDq(s) ? { class: 'disqualified' } : null,
      h('td', null, h('a', { href: `/s/${s.id}` }, when(s))), h('td', null, s.username ?? '', isDq(s) ? h('span', { class: 'tag' }, 'disqualified') : null), h('td', null, s.team ?? ''), h('td', null, s.kind), h('td', null, s.status), h('td', null, s.reason ?? ''),
      h('td', null, fmtMs(s.runMs)), h('td', null, fmtScore(s.publicScore)), h('td', null, fmtScore(s.privateScore)),
      h('td', null, actions(s))))));
  const reveal = c.privateRevealed
    ? confirmButton('Hide the private leaderboard', { question: 'Hide the private leaderboard and private scores from participants again?', yes: 'Yes, hide it' }, () => act(api('POST', `/competitions/${slug}/reveal`, { revealed: false })), '')
    : confirmButton('Reveal the private leaderboard', { question: 'Reveal the private leaderboard and every private score to everyone? Participants will have seen it even if you hide it later.', yes: 'Yes, reveal it' }, () => act(api('POST', `/competitions/${slug}/reveal`, { revealed: true })), '');
  // A phase that carries selections re-runs them when it opens (a server sweep); the host may do it at once.
  const carrying = c.phases.filter((p) => p.carrySelections);
  const carried = h('div', { 'aria-live': 'polite' });
  const carry = (phase: string) =>
    void api<{ from: string; carried: number }>('POST', `/competitions/${slug}/phases/${encodeURIComponent(phase)}/carry`)
      .then((r) => mount(carried, h('p', { class: 'ok' }, `${r.carried} selected submission${r.carried === 1 ? '' : 's'} of phase "${r.from}" carried into phase "${phase}": they run on its data and rank on its leaderboard.`)))
      .catch((e: unknown) => mount(carried, errorBox(e)));
  const carrySection = carrying.length === 0 ? null : [h('h2', null, 'Carried selections'),
    h('p', null, "Each participant's selected submissions of the phase before (their best without a selection) run again on the phase's data, once, when it opens; carry them now instead:"),
    h('ul', null, carrying.map((p) => h('li', null, `Phase "${p.name}" (${p.state}) `,
      confirmButton(`Carry selections into ${p.name}`, { question: `Re-run the selected submissions of the phase before on the data of "${p.name}" now? It is done once per phase.`, yes: 'Yes, carry them' }, () => carry(p.name))))),
    carried];
  return {
    title: `Host · ${c.title}`,
    body: competitionShell(c, '/host', status,
      carrySection,
      h('h2', null, 'Private leaderboard'),
      h('p', null, c.privateRevealed ? 'Revealed: everyone sees the private leaderboard and their private scores.' : 'Hidden from participants.'),
      h('p', null, reveal),
      h('h2', null, 'Downloads'),
      h('ul', null, h('li', null, h('a', { href: `/api/competitions/${slug}/leaderboard.csv?part=public`, download: `${c.slug}-public-leaderboard.csv` }, 'Public leaderboard (CSV)')),
        h('li', null, h('a', { href: `/api/competitions/${slug}/leaderboard.csv?part=private`, download: `${c.slug}-private-leaderboard.csv` }, 'Private leaderboard (CSV)')),
        h('li', null, h('a', { href: `/api/competitions/${slug}/scores.csv`, download: `${c.slug}-scores.csv` }, 'All scores (CSV)'))),
      h('h2', null, `Submissions (${subs.length})`),
      h('p', null,
        confirmButton('Re-score all full runs', { question: 'Score every finished full run again (runs that kept no predictions run again)? Leaderboard scores change as they finish.', yes: 'Yes, re-score all' }, () => act(api('POST', `/competitions/${slug}/rescore`))), ' ',
        confirmButton('Re-run all full runs', { question: `Run every finished full run of ${c.title} again? It can take long; their scores, logs and times are replaced.`, yes: 'Yes, re-run all' }, () => act(api('POST', `/competitions/${slug}/rerun`))), ' ',
        h('a', { href: '/queue' }, 'See the queue')),
      h('div', { class: 'scroll' }, table),
      h('h2', null, 'Disqualifications'),
      dqs.length ? h('ul', null, dqs.map((d) => h('li', null, `${d.username}: ${d.reason} `, confirmButton(`Reinstate ${d.username}`, { question: `Reinstate ${d.username}? They return to the leaderboards and may submit again.`, yes: `Yes, reinstate ${d.username}` }, () => act(api('DELETE', `/competitions/${slug}/disqualifications/${encodeURIComponent(d.username)}`)))))) : h('p', null, 'None.'),
      dqForm,
      await competitionWebhook(c.slug),
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
