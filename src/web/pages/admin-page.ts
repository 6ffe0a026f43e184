import { api } from '../api.js';
import { errorBox, render, type PageFn } from '../app.js';
import { fmtDate, h, mount } from '../dom.js';

export const adminPage: PageFn = async ({ user }) => {
  if (user?.role !== 'admin') return { title: 'Admin', body: [h('h1', null, 'Admin'), h('p', null, 'Only admins manage users.')] };
  const users = await api<{ username: string; role: string; createdAt: string; hosts: string[] }[]>('GET', '/admin/users');
  const status = h('div', { 'aria-live': 'polite' });
  const act = (p: Promise<unknown>) => void p.then(render).catch((e: unknown) => mount(status, errorBox(e)));
  const roleSelect = (u: { username: string; role: string }) =>
    h('select', { 'aria-label': `Role of ${u.username}`, onchange: (e) => act(api('PUT', `/admin/users/${encodeURIComponent(u.username)}/role`, { role: (e.target as HTMLSelectElement).value })) },
      ['participant', 'host', 'admin'].map((r) => h('option', { value: r, selected: r === u.role }, r)));
  const hostForm = h('form', { class: 'row' }, h('label', null, 'Username ', h('input', { name: 'username', required: true })), h('label', null, 'Competition slug ', h('input', { name: 'slug', required: true })), h('button', { type: 'submit' }, 'Make host'));
  hostForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const d = new FormData(hostForm);
    act(api('PUT', `/competitions/${encodeURIComponent(String(d.get('slug')))}/hosts/${encodeURIComponent(String(d.get('username')))}`));
  });
  return {
    title: 'Admin',
    body: [h('h1', null, 'Users'), status,
      h('div', { class: 'scroll' }, h('table', null, h('thead', null, h('tr', null, ['User', 'Role', 'Hosts', 'Since'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, users.map((u) => h('tr', null, h('td', null, u.username), h('td', null, roleSelect(u)),
          h('td', null, u.hosts.map((slug) => h('span', { class: 'chip' }, slug, ' ', h('button', { type: 'button', class: 'link', 'aria-label': `Remove ${u.username} as host of ${slug}`, onclick: () => act(api('DELETE', `/competitions/${encodeURIComponent(slug)}/hosts/${encodeURIComponent(u.username)}`)) }, '×')))),
          h('td', null, fmtDate(u.createdAt))))))),
      h('h2', null, 'Who hosts which competition'), hostForm],
  };
};
