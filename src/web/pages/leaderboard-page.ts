import { api, type Board, type BoardRow } from '../api.js';
import type { PageFn } from '../app.js';
import { fmtDate, fmtScore, h, s } from '../dom.js';
import { competitionShell, loadCompetition } from './competition-shell.js';
import { fmtMeasure, resourceColumn } from '../usage.js';

const colours = ['#0b5cad', '#c2410c', '#15803d', '#7e22ce', '#be123c', '#0f766e', '#a16207', '#4338ca'];

/** Start, middle and end of the time axis. */
const timeTicks = (t0: number, t1: number) => (t1 - t0 < 60_000 ? [t0, t1] : [t0, (t0 + t1) / 2, t1]);

/** A competition of hours shows times, one of weeks dates: the axis must tell its points apart. */
function tickLabel(t: number, span: number): string {
  const d = new Date(t);
  if (span < 36 * 3600_000) return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (span < 14 * 86400_000) return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: 'numeric' });
}

/** "▲ 2" for a rise from public to private rank, "▼ 1" for a fall, "=" for none. */
function rankChange(r: BoardRow): string {
  if (r.publicRank === undefined) return '';
  if (r.publicRank === null) return 'new';
  const d = r.publicRank - r.sharedRank;
  return d > 0 ? `▲ ${d}` : d < 0 ? `▼ ${-d}` : '=';
}

/** Best public score over time as step lines, one per top entrant, in an inline SVG. */
export function scorePlot(board: Board): SVGElement | HTMLElement {
  const points = board.history.flatMap((e) => e.points);
  if (!points.length) return h('p', { class: 'muted' }, 'No scores to plot yet.');
  const times = points.map((p) => Date.parse(p.at));
  const now = Date.now();
  const [t0, t1] = [Math.min(...times), Math.max(now, ...times)];
  const scores = points.map((p) => p.score);
  let [lo, hi] = [Math.min(...scores), Math.max(...scores)];
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.01, hi + 0.01];
  const W = 640, H = 260, L = 56, R = 12, T = 12, B = 36;
  const x = (t: number) => L + ((t - t0) / Math.max(1, t1 - t0)) * (W - L - R);
  const y = (v: number) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  const lines = board.history.map((e, i) => {
    let d = '';
    e.points.forEach((p, k) => {
      const [px, py] = [x(Date.parse(p.at)), y(p.score)];
      d += k === 0 ? `M${px},${py}` : ` H${px} V${py}`;
    });
    const last = e.points.at(-1);
    if (last) d += ` H${x(t1)}`;
    return s('path', { d, fill: 'none', stroke: colours[i % colours.length] ?? '#000', 'stroke-width': 2 }, s('title', null, e.name));
  });
  const ticks = [lo, (lo + hi) / 2, hi].map((v) => s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11 }, v.toFixed(3)));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `Best public ${board.metric} over time for the top ${board.history.length} entrants`, class: 'plot' },
    s('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#888' }), s('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#888' }), ...ticks,
    ...timeTicks(t0, t1).map((t, i, all) => s('text', { x: x(t), y: H - 12, 'font-size': 11, 'text-anchor': i === 0 ? 'start' : i === all.length - 1 ? 'end' : 'middle' }, tickLabel(t, t1 - t0))), ...lines);
  const legend = h('ul', { class: 'legend' }, board.history.map((e, i) => h('li', null, h('span', { class: `swatch swatch-${i % colours.length}`, 'aria-hidden': 'true' }), e.name)));
  return h('figure', null, svg, h('figcaption', null, `Best public ${board.metric} over time`), legend);
}

export const leaderboardPage: PageFn = async ({ params, query, user }) => {
  const c = await loadCompetition(params.slug ?? '');
  const canPrivate = c.privateRevealed || Boolean(c.me?.isHost);
  const part = query.get('part') === 'private' && canPrivate ? 'private' : 'public';
  // One phase's board (?phase=): a phase with data of its own ranks on its own; absent, every phase's.
  const phase = c.phases.find((p) => p.name === query.get('phase'))?.name;
  const inPhase = phase === undefined ? '' : `&phase=${encodeURIComponent(phase)}`;
  const board = await api<Board>('GET', `/competitions/${encodeURIComponent(c.slug)}/leaderboard?part=${part}${inPhase}`);
  const base = `/c/${encodeURIComponent(c.slug)}/leaderboard`;
  const link = (to: { part?: string; phase?: string }) => {
    const q = new URLSearchParams({ ...(to.part === 'private' ? { part: 'private' } : {}), ...(to.phase === undefined ? {} : { phase: to.phase }) }).toString();
    return q ? `${base}?${q}` : base;
  };
  const phaseNav = c.phases.length < 2 ? null : h('nav', { 'aria-label': 'Leaderboard phase', class: 'subtabs' }, 'Phase: ',
    [undefined, ...c.phases.map((p) => p.name)].map((name) => [h('a', { href: link({ part, ...(name === undefined ? {} : { phase: name }) }), ...(name === phase ? { 'aria-current': 'page' } : {}) }, name ?? 'All phases'), ' ']));
  // The signed-in participant's row (or their team's) stands out, so nobody hunts for it.
  const mine = (r: BoardRow) => (r.entrant.kind === 'team' ? r.entrant.id === c.me?.team?.id : r.entrant.id === user?.id);
  const tied = (r: BoardRow) => board.rows.filter((x) => x.sharedRank === r.sharedRank).length > 1;
  const changes = part === 'private';
  const resources = board.resourceColumns ?? [];
  const prizes = board.prizeLimits !== undefined;
  const table = h('table', null,
    h('thead', null, h('tr', null, ['Rank', 'Participant or team', `${board.metric} (${part})`, ...board.extraMetrics, ...(changes ? ['Since public'] : []), ...resources.map((col) => resourceColumn[col].title), ...(prizes ? ['Prize eligible'] : []), 'Entries', 'Best entry'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, board.rows.map((r) => h('tr', mine(r) ? { class: 'you', 'aria-current': 'true' } : null,
      h('td', null, tied(r) ? h('span', { title: 'tied: an equal score shares the rank (the earlier entry is listed first)' }, `${r.sharedRank}=`) : r.sharedRank),
      h('td', null, r.entrant.name, r.entrant.kind === 'team' ? h('span', { class: 'muted' }, ' (team)') : '', mine(r) ? h('strong', { class: 'you-tag' }, ' you') : ''),
      h('td', null, fmtScore(r.score)), board.extraMetrics.map((m) => h('td', null, fmtScore(r.scores[m]))),
      changes ? h('td', { title: r.publicRank ? `public rank ${r.publicRank}` : 'not on the public board' }, rankChange(r)) : null,
      resources.map((col) => h('td', null, fmtMeasure(r.usage?.[resourceColumn[col].field], resourceColumn[col].bytes))),
      prizes ? h('td', r.prizeIneligible?.length ? { title: r.prizeIneligible.join('; ') } : null, r.prizeEligible ? 'yes' : `no: ${r.prizeIneligible?.join('; ') ?? ''}`) : null,
      h('td', null, r.entries), h('td', null, fmtDate(r.createdAt))))));
  return {
    title: `Leaderboard · ${c.title}`,
    body: competitionShell(c, '/leaderboard',
      h('nav', { 'aria-label': 'Leaderboard part', class: 'subtabs' }, h('a', { href: link({ ...(phase === undefined ? {} : { phase }) }), ...(part === 'public' ? { 'aria-current': 'page' } : {}) }, 'Public'), ' ',
        canPrivate ? h('a', { href: link({ part: 'private', ...(phase === undefined ? {} : { phase }) }), ...(part === 'private' ? { 'aria-current': 'page' } : {}) }, 'Private') : h('span', { class: 'muted' }, 'Private: hidden until the host reveals it')),
      phaseNav,
      board.rows.length ? h('div', { class: 'scroll' }, table) : h('p', null, 'No scored submissions yet.'),
      h('p', null, h('a', { href: `/api/competitions/${encodeURIComponent(c.slug)}/leaderboard.csv?part=${part}${inPhase}`, download: `${c.slug}-${phase === undefined ? '' : `${phase}-`}${part}-leaderboard.csv` }, 'Download as CSV')),
      part === 'public' ? [h('h2', null, 'Best public score over time'), scorePlot(board)] : null),
  };
};
