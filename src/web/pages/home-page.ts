import { api, type CompetitionSummary } from '../api.js';
import type { PageFn } from '../app.js';
import { h } from '../dom.js';

const headings = { open: 'Open now', upcoming: 'Upcoming', finished: 'Finished' } as const;

export const homePage: PageFn = async () => {
  const list = await api<CompetitionSummary[]>('GET', '/competitions');
  const sections = (['open', 'upcoming', 'finished'] as const).map((state) => {
    const items = list.filter((c) => c.state === state);
    return h('section', { 'aria-labelledby': `h-${state}` }, h('h2', { id: `h-${state}` }, headings[state]),
      items.length
        ? h('ul', { class: 'cards' }, items.map((c) => h('li', null, h('a', { href: `/c/${encodeURIComponent(c.slug)}` }, h('strong', null, c.title)), h('span', { class: 'muted' }, c.openPhase ? ` phase: ${c.openPhase}` : '', ` · runtime: ${c.runtime}`))))
        : h('p', { class: 'muted' }, 'None.'));
  });
  return { title: 'Competitions', body: [h('h1', null, 'Competitions'), ...sections] };
};
