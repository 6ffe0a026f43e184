import { api, type BudgetMeasure, type Quota, type Submission } from '../api.js';
import { errorBox, type PageFn } from '../app.js';
import { fmtBytes, fmtDate, fmtMs, h, mount } from '../dom.js';
import { competitionShell, loadCompetition, signInFirst } from './competition-shell.js';
import { liveSubmission } from './live-submission.js';
import { UploadProgress } from '../upload-progress.js';
import { resumableUpload } from '../resumable-upload.js';

export const submitPage: PageFn = async ({ params, user, onLeave }) => {
  const c = await loadCompetition(params.slug ?? '');
  const shell = (...x: Parameters<typeof competitionShell>[2][]) => ({ title: `Submit · ${c.title}`, body: competitionShell(c, '/submit', h('h2', null, 'Submit'), ...x) });
  if (!user || !c.me) return shell(signInFirst(location.pathname));
  if (c.me.disqualified) return shell(h('p', { class: 'error' }, `You are disqualified: ${c.me.disqualified}`));
  if (!c.me.rulesAcceptedAt) return shell(h('p', { class: 'notice' }, 'Accept the ', h('a', { href: `/c/${encodeURIComponent(c.slug)}/rules` }, 'rules'), ' before your first submission.'));
  if (!c.me.quota) return shell(h('p', null, 'No phase is open for submissions now; see the timeline.'));
  const q = c.me.quota;
  const result = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, 'Upload and run');
  const progress = new UploadProgress(button);
  const form = h('form', { class: 'stack' },
    h('fieldset', null, h('legend', null, 'Kind of run'),
      h('label', null, h('input', { type: 'radio', name: 'kind', value: 'smoke', ...(c.hasSmoke ? {} : { disabled: true }), checked: c.hasSmoke }), ` Smoke test: runs on a small public sample and shows the full log (${q.smoke.left} left today)`),
      h('label', null, h('input', { type: 'radio', name: 'kind', value: 'full', checked: !c.hasSmoke }), ` Full run: scored on the test set, counts for the leaderboard (${q.full.left} left today)`)),
    allowances(q),
    h('label', null, 'submission.zip ', h('input', { type: 'file', name: 'file', accept: '.zip,application/zip', required: true })),
    h('p', { class: 'muted' }, 'The zip holds your code and model; ', h('code', null, c.entrypoint), ` is run with the limits on the overview page and must write ${c.predictionsFile}. At most ${fmtBytes(c.upload.maxZipBytes)} zipped, ${fmtBytes(c.upload.maxUnpackedBytes)} unpacked and ${c.upload.maxFiles} files.`),
    h('p', { class: 'muted', 'data-testid': 'resume-note' }, 'If the upload stops (a reload, a closed tab, a dropped connection), choose the same file here again and upload: it continues where it stopped, and the run is counted once.'),
    button, progress.element);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const file = data.get('file');
    if (!(file instanceof File) || file.size === 0) return mount(result, errorBox(new Error('choose a submission.zip first')));
    // The server would refuse it too, but only after the file was on its way: say so before sending.
    if (file.size > c.upload.maxZipBytes) return mount(result, errorBox(new Error(`${file.name} is ${fmtBytes(file.size)}, larger than the limit of ${fmtBytes(c.upload.maxZipBytes)} for a submission; remove files you do not need (training data, caches) and zip it again`)));
    const onResume = () => mount(result, h('p', null, `Continuing the earlier upload of ${file.name} (${fmtBytes(file.size)}) where it stopped…`));
    const sent = progress.run((onProgress) => {
      const upload = resumableUpload(`/competitions/${encodeURIComponent(c.slug)}/submissions/uploads?kind=${String(data.get('kind'))}`, file, onProgress, { onResume });
      // The submission's id is the upload's.
      return { ...upload, done: upload.done.then((id) => api<Submission>('GET', `/submissions/${encodeURIComponent(id)}`)) };
    });
    if (!sent) return;
    mount(result, h('p', null, `Uploading ${file.name} (${fmtBytes(file.size)})…`));
    sent
      .then((s) => mount(result, h('h3', null, 'Your submission'), liveSubmission(s, onLeave, c.limits.wallTimeMs), h('p', null, h('a', { href: `/s/${s.id}` }, 'Open this submission'), ' · ', h('a', { href: `/c/${encodeURIComponent(c.slug)}/submissions` }, 'all my submissions'))))
      .catch((err: unknown) => mount(result, errorBox(err)));
  });
  // Stated before the first submission, not after a failed click on "Join".
  const teamRule = c.me.team ? null : h('p', { class: 'muted' }, 'Teams: you can join or change a team only on a day you have not submitted; a submission today keeps you in your current team (or on your own) until midnight UTC. ', h('a', { href: `/c/${encodeURIComponent(c.slug)}/team` }, 'Form a team first'), ' if you mean to.');
  return shell(teamRule, form, result);
};

/** The failed-run allowance and this week's compute budget, where the phase has them. */
function allowances(q: Quota): HTMLElement | null {
  const lines: string[] = [];
  if (q.failed) lines.push(`Runs that fail through your code use an allowance of their own first: ${Math.max(0, q.failed.limit - q.failed.used)} of ${q.failed.limit} left today.`);
  const b = q.budget;
  if (b) {
    const part = (what: string, m: BudgetMeasure | null) => (m ? `${fmtMs(m.leftMs)} of ${fmtMs(m.limitMs)} ${what} time left` : null);
    const parts = [part('CPU', b.cpu), part('GPU', b.gpu)].filter(Boolean);
    lines.push(`Compute budget this week: ${parts.join(', ')} (until ${fmtDate(b.resetsAt)}). Platform failures and cancelled runs do not count.`);
  }
  return lines.length ? h('p', { class: 'notice', 'data-testid': 'allowances' }, lines.join(' ')) : null;
}
