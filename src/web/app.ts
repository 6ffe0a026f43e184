import { api, ApiError, type User } from './api.js';
import { h, mount, type Child } from './dom.js';
import { followRunNotices } from './run-notices.js';

/** What a page receives. */
export interface PageContext {
  params: Record<string, string>;
  query: URLSearchParams;
  user: User | null;
  /** Runs when the page is left (closes event streams). */
  onLeave(fn: () => void): void;
}

export interface Page {
  title: string;
  body: Child;
}

export type PageFn = (ctx: PageContext) => Promise<Page>;

let currentUser: User | null | undefined;
let leaving: (() => void)[] = [];
let routes: [RegExp, string[], PageFn][] = [];

export async function me(refresh = false): Promise<User | null> {
  if (currentUser === undefined || refresh) currentUser = await api<User>('GET', '/me').catch(() => null);
  return currentUser;
}

export function setRoutes(table: Record<string, PageFn>): void {
  routes = Object.entries(table).map(([pattern, fn]) => {
    const names: string[] = [];
    const re = new RegExp(`^${pattern.replace(/:([a-z]+)/g, (_, n: string) => (names.push(n), '([^/]+)'))}/?$`);
    return [re, names, fn];
  });
}

function header(user: User | null): Child {
  const link = (href: string, text: string) => h('a', { href, ...(location.pathname === href ? { 'aria-current': 'page' } : {}) }, text);
  return h(
    'nav',
    { 'aria-label': 'Main' },
    h('a', { href: '/', class: 'brand' }, 'Holdout'),
    h(
      'ul',
      null,
      h('li', null, link('/', 'Competitions')),
      user && user.role !== 'participant' ? h('li', null, link('/host/new', 'New competition')) : null,
      user && user.role !== 'participant' ? h('li', null, link('/queue', 'Queue')) : null,
      user?.role === 'admin' ? h('li', null, link('/admin', 'Admin')) : null,
      h('li', null, h('a', { href: '/api/docs', 'data-external': true }, 'API')),
      h('li', null, user ? link('/profile', user.username) : link('/signin', 'Sign in')),
    ),
  );
}

export function errorBox(err: unknown): HTMLElement {
  const e = err instanceof ApiError ? err : new ApiError(0, 'error', err instanceof Error ? err.message : String(err));
  const details = Array.isArray(e.details) ? (e.details as Record<string, unknown>[]) : [];
  return h(
    'div',
    { class: 'error', role: 'alert' },
    // With the problems listed below, the message's own list (one a line) would say it all twice.
    h('p', null, details.length ? (e.message.split('\n')[0] ?? e.message) : e.message),
    details.length
      ? h('ul', null, details.map((d) => h('li', null, [d.file, d.field].filter(Boolean).join(' → '), d.file || d.field ? ': ' : '', String(d.message ?? JSON.stringify(d)))))
      : null,
  );
}

/** Renders the page for the current URL. */
export async function render(): Promise<void> {
  for (const fn of leaving) fn();
  leaving = [];
  const user = await me();
  mount(document.getElementById('top') as HTMLElement, header(user));
  followRunNotices(user?.id ?? null);
  const main = document.getElementById('main') as HTMLElement;
  const path = location.pathname;
  for (const [re, names, fn] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]));
    try {
      const page = await fn({ params, query: new URLSearchParams(location.search), user, onLeave: (f) => leaving.push(f) });
      document.title = `${page.title} · Holdout`;
      mount(main, page.body);
    } catch (err) {
      document.title = 'Error · Holdout';
      mount(main, h('h1', null, 'Something went wrong'), errorBox(err));
    }
    main.focus({ preventScroll: true });
    return;
  }
  document.title = 'Not found · Holdout';
  mount(main, h('h1', null, 'Page not found'), h('p', null, h('a', { href: '/' }, 'See the competitions')));
}

export function navigate(to: string): void {
  history.pushState(null, '', to);
  void render();
}

/** Same-origin links navigate inside the app; downloads and the API reference load normally. */
export function start(): void {
  document.addEventListener('click', (e) => {
    const a = (e.target as Element | null)?.closest('a');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.hasAttribute('download') || a.target) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/') || a.hasAttribute('data-external')) return;
    e.preventDefault();
    if (url.pathname === location.pathname && url.hash) return void (location.hash = url.hash);
    navigate(url.pathname + url.search);
  });
  window.addEventListener('popstate', () => void render());
  void render();
}

export async function signedOut(): Promise<void> {
  currentUser = null;
  followRunNotices(null);
}
