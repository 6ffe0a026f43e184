import { api, type Competition } from '../api.js';
import { errorBox, render, type PageFn } from '../app.js';
import { fmtBytes, fmtDate, h, mount } from '../dom.js';
import { renderMarkdown } from '../markdown.js';
import { competitionShell, loadCompetition, signInFirst } from './competition-shell.js';

/** An overview that opens with the competition's own title would show it twice under the page's heading. */
function withoutTitle(doc: DocumentFragment, title: string): DocumentFragment {
  const first = doc.firstElementChild;
  if (first?.tagName === 'H1' && first.textContent?.trim().toLowerCase() === title.trim().toLowerCase()) first.remove();
  return doc;
}

export const overviewPage: PageFn = async ({ params }) => {
  const c = await loadCompetition(params.slug ?? '');
  const q = c.me?.quota;
  const timeline = h('table', null, h('caption', null, 'Timeline (times in your time zone)'),
    h('thead', null, h('tr', null, h('th', null, 'Phase'), h('th', null, 'Starts'), h('th', null, 'Ends'), h('th', null, 'Submissions a day'), h('th', null, 'Status'))),
    h('tbody', null, c.phases.map((p) => h('tr', { class: p.state === 'open' ? 'current' : '' }, h('td', null, p.name), h('td', null, fmtDate(p.start)), h('td', null, p.end ? fmtDate(p.end) : 'open-ended'), h('td', null, p.dailyQuota), h('td', null, p.state)))));
  return {
    title: c.title,
    body: competitionShell(c, '',
      h('article', { class: 'markdown' }, withoutTitle(renderMarkdown(c.description), c.title)),
      h('h2', null, 'Runtime and limits'),
      h('ul', null, h('li', null, `Runtime${c.runsPhase ? ` of phase ${c.runsPhase}` : ''}: ${c.runtime}; your code is started with `, h('code', null, c.entrypoint), ' and must write ', h('code', null, c.predictionsFile), '.'), c.runtimeImage ? runtimeImageItem(c.runtimeImage, c.slug) : null, c.limitsInWords.map((l) => h('li', null, l)),
        h('li', null, q ? `Submissions left today: ${q.full.left} of ${q.limit} full runs, ${q.smoke.left} of ${q.limit} smoke tests${c.me?.team ? ` (shared by team ${c.me.team.name})` : ''}.` : c.me ? 'No phase is open now.' : 'Sign in to see how many submissions you have left today.')),
      h('h2', null, 'Timeline'), h('div', { class: 'scroll' }, timeline)),
  };
};

export const dataPage: PageFn = async ({ params }) => {
  const c = await loadCompetition(params.slug ?? '');
  const base = `/api/competitions/${encodeURIComponent(c.slug)}/files/`;
  return {
    title: `Data · ${c.title}`,
    body: competitionShell(c, '/data',
      h('h2', null, 'Public data'),
      h('p', null, 'Training data to download. The test features are only mounted read-only inside a run; they cannot be downloaded.'),
      h('table', null, h('thead', null, h('tr', null, h('th', null, 'File'), h('th', null, 'Size'))),
        h('tbody', null, c.files.map((f) => h('tr', null, h('td', null, h('a', { href: base + f.path.split('/').map(encodeURIComponent).join('/'), download: f.path.split('/').pop() ?? 'file' }, f.path)), h('td', null, fmtBytes(f.bytes))))))),
  };
};

export const rulesPage: PageFn = async ({ params, user }) => {
  const c = await loadCompetition(params.slug ?? '');
  const status = h('div', { 'aria-live': 'polite' });
  const accept = !user
    ? signInFirst(location.pathname)
    : c.me?.rulesAcceptedAt
      ? h('p', { class: 'ok' }, `You accepted these rules on ${fmtDate(c.me.rulesAcceptedAt)}.`)
      : h('button', { type: 'button', onclick: () => void api('POST', `/competitions/${encodeURIComponent(c.slug)}/rules`).then(render).catch((e: unknown) => mount(status, errorBox(e))) }, 'I accept the rules');
  return { title: `Rules · ${c.title}`, body: competitionShell(c, '/rules', h('article', { class: 'markdown' }, renderMarkdown(c.rules)), accept, status) };
};

/** Exactly which image a participant pulls to test locally in the platform's runtime. */
function runtimeImageItem(image: NonNullable<Competition['runtimeImage']>, slug: string) {
  return h('li', null, 'Runtime image: ', h('code', null, `podman pull ${image.reference}`), ' (or docker pull)',
    image.digest ? [', image ID ', h('code', { class: 'digest' }, image.digest)] : null,
    '; ', h('code', null, `holdout runtime pull --competition ${slug}`), ' pulls it and checks the ID, and ', h('code', null, 'holdout test-submission --executor docker'), ' runs your zip in it.');
}
