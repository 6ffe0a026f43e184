import { api, type User } from '../api.js';
import { errorBox, me, navigate, signedOut, type PageFn } from '../app.js';
import { fmtDate, h, mount } from '../dom.js';
import { accountNotifications } from './notification-settings.js';

function authForm(kind: 'signin' | 'signup'): PageFn {
  return async ({ query }) => {
    // Where to go afterwards (an invite link, a page), kept when switching between sign-in and sign-up.
    const next = query.get('next');
    const status = h('div', { 'aria-live': 'polite' });
    const form = h(
      'form',
      { class: 'stack narrow' },
      h('label', null, 'Username', h('input', { name: 'username', autocomplete: 'username', required: true, minlength: 3, maxlength: 32 })),
      h('label', null, 'Password', h('input', { name: 'password', type: 'password', autocomplete: kind === 'signup' ? 'new-password' : 'current-password', required: true, ...(kind === 'signup' ? { minlength: 8 } : {}) })),
      h('button', { type: 'submit' }, kind === 'signup' ? 'Create account' : 'Sign in'),
      status,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const body = { username: String(data.get('username')), password: String(data.get('password')), session: 'cookie' };
      api<{ user: User }>('POST', kind === 'signup' ? '/auth/register' : '/auth/login', body)
        .then(async () => {
          await me(true);
          // Same-origin paths only: '//host' and '/\host' would leave the site.
          navigate(next && /^\/(?![/\\])/.test(next) ? next : '/');
        })
        .catch((err: unknown) => mount(status, errorBox(err)));
    });
    const title = kind === 'signup' ? 'Create an account' : 'Sign in';
    const keep = next ? `?next=${encodeURIComponent(next)}` : '';
    const other = kind === 'signup' ? h('p', null, 'Have an account? ', h('a', { href: `/signin${keep}` }, 'Sign in')) : h('p', null, 'New here? ', h('a', { href: `/signup${keep}` }, 'Create an account'));
    return { title, body: [h('h1', null, title), form, other] };
  };
}

export const signInPage = authForm('signin');
export const signUpPage = authForm('signup');

export const profilePage: PageFn = async ({ user }) => {
  if (!user) return { title: 'Profile', body: h('p', null, h('a', { href: '/signin?next=/profile' }, 'Sign in'), ' to see your profile.') };
  const list = h('div');
  const shown = h('div', { 'aria-live': 'polite' });
  const refresh = async () => {
    const tokens = await api<{ id: string; name: string; createdAt: string }[]>('GET', '/tokens');
    const revoke = (t: { id: string; name: string }) =>
      h('button', { type: 'button', class: 'secondary', onclick: () => void api('DELETE', `/tokens/${t.id}`).then(refresh) }, `Revoke ${t.name}`);
    const rows = tokens.map((t) => h('tr', null, h('td', null, t.name), h('td', null, fmtDate(t.createdAt)), h('td', null, revoke(t))));
    const head = h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Created'), h('th', null, h('span', { class: 'sr-only' }, 'Actions'))));
    mount(list, tokens.length ? h('table', null, head, h('tbody', null, rows)) : h('p', null, 'No API tokens yet.'));
  };
  await refresh();
  const form = h('form', { class: 'row' }, h('label', null, 'Token name ', h('input', { name: 'name', required: true, maxlength: 100, placeholder: 'laptop' })), h('button', { type: 'submit' }, 'Create token'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = String(new FormData(form).get('name'));
    api<{ token: string }>('POST', '/tokens', { name })
      .then(async (t) => {
        mount(shown, h('div', { class: 'notice' }, h('p', null, 'Copy this token now; it is not shown again:'), h('code', { class: 'token' }, t.token), h('p', null, 'Use it as ', h('code', null, 'Authorization: Bearer <token>'), ' with the API or the CLI.')));
        form.reset();
        await refresh();
      })
      .catch((err: unknown) => mount(shown, errorBox(err)));
  });
  const signOut = h('button', { type: 'button', class: 'secondary', onclick: () => void api('POST', '/auth/logout').then(async () => { await signedOut(); navigate('/'); }) }, 'Sign out');
  return {
    title: 'Profile',
    body: [h('h1', null, user.username), h('p', null, `Role: ${user.role} · member since ${fmtDate(user.createdAt)}`), signOut, h('h2', null, 'API tokens'), h('p', null, 'For scripts and the holdout CLI.'), form, shown, list, await accountNotifications()],
  };
};
