import { api, type Team } from '../api.js';
import { errorBox, navigate, render, type PageFn } from '../app.js';
import { fmtDate, h, mount } from '../dom.js';
import { competitionShell, loadCompetition, signInFirst } from './competition-shell.js';

export const teamPage: PageFn = async ({ params, user }) => {
  const c = await loadCompetition(params.slug ?? '');
  const slug = encodeURIComponent(c.slug);
  const teams = await api<{ id: string; name: string; members: string[] }[]>('GET', `/competitions/${slug}/teams`);
  const status = h('div', { 'aria-live': 'polite' });
  const all = [h('h2', null, 'Teams'), teams.length ? h('ul', null, teams.map((t) => h('li', null, t.name, h('span', { class: 'muted' }, ` · ${t.members.join(', ')}`)))) : h('p', null, 'No teams yet.')];
  const page = (...x: Parameters<typeof competitionShell>[2][]) => ({ title: `Team · ${c.title}`, body: competitionShell(c, '/team', ...x, status, ...all) });
  if (!user) return page(signInFirst(location.pathname));
  const mine = (await api<{ team: Team | null }>('GET', `/competitions/${slug}/team`)).team;
  if (mine) {
    const link = `${location.origin}/join/${mine.inviteCode}`;
    return page(h('h2', null, `Your team: ${mine.name}`),
      h('ul', null, mine.members.map((m) => h('li', null, m.username, h('span', { class: 'muted' }, ` · joined ${fmtDate(m.joinedAt)}`)))),
      h('p', null, 'Invite link (share it only with your team mates): '), h('input', { readonly: true, value: link, class: 'wide', 'aria-label': 'Invite link', onfocus: (e) => (e.target as HTMLInputElement).select() }),
      h('p', { class: 'muted' }, 'A team shares one daily quota and one leaderboard entry. You can change teams only on a day you have not submitted.'),
      h('button', { type: 'button', class: 'secondary', onclick: () => void api('POST', `/competitions/${slug}/team/leave`).then(render).catch((e: unknown) => mount(status, errorBox(e))) }, 'Leave the team'));
  }
  const form = h('form', { class: 'row' }, h('label', null, 'Team name ', h('input', { name: 'name', required: true, minlength: 2, maxlength: 60 })), h('button', { type: 'submit' }, 'Create team'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    api('POST', `/competitions/${slug}/teams`, { name: String(new FormData(form).get('name')) }).then(render).catch((err: unknown) => mount(status, errorBox(err)));
  });
  return page(h('h2', null, 'Create a team'), h('p', null, 'Or ask a team for its invite link.'), form);
};

export const joinPage: PageFn = async ({ params, user }) => {
  const code = params.code ?? '';
  const invite = await api<{ team: { name: string }; competition: { slug: string; title: string } }>('GET', `/teams/invites/${encodeURIComponent(code)}`);
  const title = `Join team ${invite.team.name}`;
  const question = h('p', null, `You are invited to join team "${invite.team.name}" in `, h('a', { href: `/c/${encodeURIComponent(invite.competition.slug)}` }, invite.competition.title), '.');
  // Signed out, the invite comes back after signing in or up (next=), so the link is not lost.
  if (!user) return { title, body: [h('h1', null, title), question, signInFirst(location.pathname)] };
  const status = h('div', { 'aria-live': 'polite' });
  const join = () => api('POST', `/teams/invites/${encodeURIComponent(code)}/join`).then(() => navigate(`/c/${encodeURIComponent(invite.competition.slug)}/team`)).catch((e: unknown) => mount(status, errorBox(e)));
  return { title, body: [h('h1', null, title), question, h('p', { class: 'muted' }, 'A team shares one daily quota and one leaderboard entry; you cannot join on a day you have submitted.'), h('button', { type: 'button', onclick: () => void join() }, `Join ${invite.team.name}`), status] };
};
