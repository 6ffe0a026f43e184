import { api } from '../api.js';
import { errorBox, render, type PageFn } from '../app.js';
import { askFirst, confirmButton } from '../confirm.js';
import { fmtDate, h, mount } from '../dom.js';
import { recentAlerts } from './notification-settings.js';

export const adminPage: PageFn = async ({ user }) => {
  if (user?.role !== 'admin') return { title: 'Admin', body: [h('h1', null, 'Admin'), h('p', null, 'Only admins manage users.')] };
  const users = await api<{ username: string; role: string; createdAt: string; hosts: string[] }[]>('GET', '/admin/users');
  const status = h('div', { 'aria-live': 'polite' });
  const act = (p: Promise<unknown>) => void p.then(render).catch((e: unknown) => mount(status, errorBox(e)));
  const roleSelect = (u: { username: string; role: string }) => {
    const select: HTMLSelectElement = h('select', { 'aria-label': `Role of ${u.username}`, onchange: () => {
      const role = select.value;
      askFirst(select, { question: `Make ${u.username} ${role === 'admin' ? 'an admin (every competition and user)' : role === 'host' ? 'a host (may create competitions)' : 'a participant'}?`, yes: `Yes, make ${u.username} ${role}`, onNo: () => (select.value = u.role) },
        () => act(api('PUT', `/admin/users/${encodeURIComponent(u.username)}/role`, { role })));
    } }, ['participant', 'host', 'admin'].map((r) => h('option', { value: r, selected: r === u.role }, r)));
    return select;
  };
  const removeHost = (username: string, slug: string) => {
    const b = confirmButton('×', { question: `Remove ${username} as host of ${slug}?`, yes: 'Yes, remove' }, () => act(api('DELETE', `/competitions/${encodeURIComponent(slug)}/hosts/${encodeURIComponent(username)}`)), 'link');
    b.setAttribute('aria-label', `Remove ${username} as host of ${slug}`);
    return b;
  };
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
          h('td', null, u.hosts.map((slug) => h('span', { class: 'chip' }, slug, ' ', removeHost(u.username, slug)))),
          h('td', null, fmtDate(u.createdAt))))))),
      h('h2', null, 'Who hosts which competition'), hostForm, await recentAlerts()],
  };
};
