import { api, ApiError, type Competition, type Submission } from '../api.js';
import type { PageFn } from '../app.js';
import { fmtBytes, fmtDate, fmtMs, fmtScore, h, mount } from '../dom.js';
import { loadCompetition, signInFirst, slugPath } from './competition-shell.js';
import { liveSubmission } from './live-submission.js';
import { determinismPanel } from './determinism-panel.js';
import { usageInWords } from '../usage.js';

/** Every metric of a submission: public, and private where the reader may see it. */
export function scoresTable(s: Submission, c: Pick<Competition, 'metric' | 'extraMetrics'> | undefined): HTMLElement | null {
  if (!s.publicScores) return null;
  const names = c ? [c.metric.metric, ...c.extraMetrics.map((m) => m.metric)] : Object.keys(s.publicScores);
  const showPrivate = s.kind === 'full' && s.privateScores !== undefined;
  const part = s.kind === 'smoke' ? 'Sample (smoke test)' : 'Public';
  return h('table', { class: 'scores' },
    h('caption', null, s.kind === 'smoke' ? 'Scores on the public smoke sample: they do not count for the leaderboard' : 'Scores'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Metric'), h('th', { scope: 'col' }, part), showPrivate ? h('th', { scope: 'col' }, 'Private') : null)),
    h('tbody', null, names.map((m, i) => h('tr', null, h('th', { scope: 'row' }, m, i === 0 ? h('span', { class: 'muted' }, ' (ranks)') : null), h('td', null, fmtScore(s.publicScores?.[m])), showPrivate ? h('td', null, fmtScore(s.privateScores?.[m])) : null))));
}

function facts(s: Submission, c: Competition | undefined): HTMLElement {
  const row = (term: string, ...value: (string | Node | null)[]) => [h('dt', null, term), h('dd', null, ...value)];
  const digest = s.runtime?.digest;
  return h('dl', { class: 'facts' },
    row('Competition', c ? h('a', { href: slugPath(c.slug) }, c.title) : (s.competition?.title ?? '—')),
    row('Participant', s.username ?? '—', s.team ? ` (team ${s.team})` : ''),
    row('Kind', s.kind === 'smoke' ? 'smoke test on the public sample (does not count)' : 'full run on the test set', ` · phase ${s.phase}`),
    row('Submitted', fmtDate(s.createdAt)),
    row('Started', fmtDate(s.startedAt)),
    row('Finished', fmtDate(s.finishedAt)),
    row('Run time', fmtMs(s.runMs), c ? ` of the ${fmtMs(c.limits.wallTimeMs)} limit` : ''),
    row('Resources', usageInWords(s.usage, c?.limits)),
    row('Exit code', s.exitCode === null ? '—' : String(s.exitCode), ` · attempt ${s.attempts}`),
    row('Runtime', s.runtime ? s.runtime.name : '—', digest ? h('code', { class: 'digest', title: digest }, ` ${digest}`) : null),
    row('Traced to', provenance(s)),
    row('Code', h('a', { href: `/api/submissions/${encodeURIComponent(s.id)}/code`, download: true }, `submission zip (${fmtBytes(s.zipBytes)})`)),
    row('Log', s.logBytes === null ? 'not written yet' : s.logs === 'reason-only' ? 'withheld: this competition does not show the logs of full runs (they can leak test data); the reason above says what happened' : `${fmtBytes(s.logBytes)}${s.logTruncated ? ', cut at the limit' : ''}${s.logs === 'tail' ? ' (you see its last lines)' : ''}`),
  );
}

/** The digests a score is traced to, so that it can be re-run years later. */
function provenance(s: Submission): HTMLElement {
  const p = s.provenance;
  const item = (what: string, value: string | null) => h('li', null, `${what}: `, value ? h('code', { class: 'digest' }, value) : h('span', { class: 'muted' }, 'not recorded'));
  return h('ul', { class: 'provenance' },
    item('submission zip', p.zipSha256), item('runtime', p.runtimeDigest ?? (s.runtime?.name === 'host' ? 'host (not content-addressed)' : null)),
    item('test data', p.testDataDigest), item('bundle (scoring program included)', p.bundleDigest), item('scoring code', p.scorerVersion));
}

export const submissionPage: PageFn = async ({ params, user, onLeave }) => {
  const id = params.id ?? '';
  if (!user) return { title: 'Submission', body: [h('h1', null, 'Submission'), signInFirst(location.pathname)] };
  let s: Submission;
  try {
    s = await api<Submission>('GET', `/submissions/${encodeURIComponent(id)}`);
  } catch (err) {
    // Someone else's submission reads as missing too: ids cannot be probed.
    if (err instanceof ApiError && err.status === 404) return { title: 'Submission not found', body: [h('h1', null, 'Submission not found'), h('p', null, `There is no submission ${id} that you may see. `, h('a', { href: '/' }, 'See the competitions'), '.')] };
    throw err;
  }
  const c = s.competition ? await loadCompetition(s.competition.slug) : undefined;
  const scores = h('div', null, scoresTable(s, c));
  const details = h('div', null, facts(s, c));
  const live = liveSubmission(s, onLeave, c?.limits.wallTimeMs, (next) => {
    const merged = { ...s, ...next };
    mount(scores, scoresTable(merged, c));
    mount(details, facts(merged, c));
  });
  const back = c ? h('a', { href: `${slugPath(c.slug)}/submissions` }, `← All my submissions to ${c.title}`) : h('a', { href: '/' }, '← Competitions');
  return {
    title: `Submission of ${fmtDate(s.createdAt)}${c ? ` · ${c.title}` : ''}`,
    body: [
      h('p', { class: 'crumbs' }, back),
      h('h1', null, `Submission of ${fmtDate(s.createdAt)}`),
      h('p', { class: 'muted' }, h('code', null, s.id)),
      live, scores, details,
      // Hosts only (the API refuses anyone else): a scored submission can be run again and compared.
      c?.me?.isHost && s.status === 'scored' ? determinismPanel(s.id, onLeave) : null,
    ],
  };
};

