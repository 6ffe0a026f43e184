import { api, type Competition } from '../api.js';
import { h, type Child } from '../dom.js';

export const slugPath = (slug: string) => `/c/${encodeURIComponent(slug)}`;

export function loadCompetition(slug: string): Promise<Competition> {
  return api<Competition>('GET', `/competitions/${encodeURIComponent(slug)}`);
}

/** The competition's heading and section navigation around one section. */
export function competitionShell(c: Competition, active: string, ...content: Child[]): Child {
  const base = slugPath(c.slug);
  const tabs: [string, string][] = [
    ['', 'Overview'], ['/data', 'Data'], ['/rules', 'Rules'], ['/submit', 'Submit'], ['/submissions', 'My submissions'],
    ['/leaderboard', 'Leaderboard'], ['/team', 'Team'], ...(c.me?.isHost ? ([['/host', 'Host']] as [string, string][]) : []),
  ];
  return [
    // The trail ends at this competition (the overview names itself, other sections link back).
    h('p', { class: 'crumbs' }, h('a', { href: '/' }, 'Competitions'), ' / ', active === '' ? h('span', { 'aria-current': 'page' }, c.title) : h('a', { href: base }, c.title)),
    h('h1', null, c.title),
    h('p', { class: 'muted' }, `${c.state === 'open' ? `Open · phase ${c.openPhase ?? ''}` : c.state === 'upcoming' ? 'Upcoming' : 'Finished'} · metric: ${c.metric.metric} (${c.metric.higherIsBetter ? 'higher' : 'lower'} is better)`),
    h('nav', { 'aria-label': 'Competition sections', class: 'tabs' }, h('ul', null, tabs.map(([p, label]) => h('li', null, h('a', { href: base + p, ...(p === active ? { 'aria-current': 'page' } : {}) }, label))))),
    h('section', { class: 'section' }, ...content),
  ];
}

export function signInFirst(path: string): Child {
  const next = `?next=${encodeURIComponent(path)}`;
  return h('p', { class: 'notice' }, h('a', { href: `/signin${next}` }, 'Sign in'), ' or ', h('a', { href: `/signup${next}` }, 'create an account'), ' first.');
}
