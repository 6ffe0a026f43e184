import { api } from '../api.js';
import { errorBox } from '../app.js';
import { confirmButton } from '../confirm.js';
import { fmtDate, h, mount } from '../dom.js';

/** One delivery as GET /api/me/webhook and /api/competitions/:slug/webhook list it. */
interface Delivery {
  id: string; kind: 'run_ended' | 'alert'; channel: 'webhook' | 'email'; target: string | null; status: string; attempts: number;
  lastError: string | null; createdAt: string; submissionId: string | null; event: { alert?: string; message?: string; competition?: { slug: string; title: string } | null };
}
interface HookView { url: string | null; secretSet: boolean; deliveries: Delivery[] }

/** The secret, shown the one time the server hands it out. */
function secretNotice(secret: string): HTMLElement {
  return h('div', { class: 'notice' }, h('p', null, 'Your signing secret; copy it now, it is not shown again:'), h('code', { class: 'token' }, secret),
    h('p', null, 'Each POST carries ', h('code', null, 'x-holdout-signature: sha256=<HMAC-SHA256 of the body>'), ' made with it.'));
}

function deliveriesTable(list: Delivery[]): HTMLElement {
  if (!list.length) return h('p', null, 'No deliveries yet.');
  const what = (d: Delivery) => (d.kind === 'alert' ? `alert: ${(d.event.alert ?? '').replace(/_/g, ' ')}` : 'run ended');
  return h('div', { class: 'scroll' }, h('table', null,
    h('thead', null, h('tr', null, ['When', 'What', 'By', 'To', 'Status', 'Tries', 'Last error'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, list.map((d) => h('tr', null,
      h('td', null, fmtDate(d.createdAt)),
      h('td', null, d.submissionId ? h('a', { href: `/s/${encodeURIComponent(d.submissionId)}` }, what(d)) : what(d)),
      h('td', null, d.channel === 'email' ? 'e-mail' : 'webhook'), h('td', null, d.target ?? '—'),
      h('td', null, h('span', { class: `status status-${d.status}` }, d.status)), h('td', null, String(d.attempts)), h('td', null, d.lastError ?? ''))))));
}

/**
 * A webhook URL form: `path` is the API path of the hook (GET and PUT). Shows the signing
 * secret when saving made it, and offers a rotation (the account's secret signs all its hooks).
 */
function hookForm(path: string, view: HookView, label: string, onSaved: () => void): HTMLElement {
  const status = h('div', { 'aria-live': 'polite' });
  const input = h('input', { name: 'url', type: 'url', value: view.url ?? '', placeholder: 'https://example.org/holdout-hook', maxlength: 2000 });
  const form = h('form', { class: 'row' }, h('label', null, `${label} `, input), h('button', { type: 'submit' }, 'Save webhook'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const url = input.value.trim() || null;
    api<{ url: string | null; secret?: string }>('PUT', path, { url })
      .then((r) => {
        mount(status, r.secret ? secretNotice(r.secret) : h('p', { class: 'ok' }, url ? 'Saved.' : 'Webhook removed.'));
        if (!r.secret) onSaved();
      })
      .catch((err: unknown) => mount(status, errorBox(err)));
  });
  const rotate = confirmButton('Make a new secret', { question: 'Make a new signing secret? The old one stops signing at once, for your own hook and the competition hooks you set.', yes: 'Yes, make a new one' },
    () => void api<{ secret: string }>('POST', '/me/webhook/secret').then((r) => mount(status, secretNotice(r.secret))).catch((err: unknown) => mount(status, errorBox(err))));
  return h('div', null, form, view.secretSet ? h('p', null, 'Bodies are signed with your secret. ', rotate) : null, status);
}

/** The profile's part: the webhook, the e-mail opt-in and the latest deliveries. */
export async function accountNotifications(): Promise<HTMLElement> {
  const box = h('section', { 'aria-labelledby': 'notifications-title' });
  const refresh = async () => {
    const [hook, email] = await Promise.all([api<HookView>('GET', '/me/webhook'), api<{ address: string | null; notify: boolean; available: boolean }>('GET', '/me/email')]);
    const status = h('div', { 'aria-live': 'polite' });
    const address = h('input', { name: 'address', type: 'email', value: email.address ?? '', placeholder: 'you@example.org', maxlength: 320 });
    const notify = h('input', { name: 'notify', type: 'checkbox', checked: email.notify, disabled: !email.available });
    const mailForm = h('form', { class: 'row' }, h('label', null, 'E-mail address ', address), h('label', { class: 'check' }, notify, ' E-mail me when my runs end (hosts: and alerts of my competitions)'), h('button', { type: 'submit' }, 'Save e-mail settings'));
    mailForm.addEventListener('submit', (e) => {
      e.preventDefault();
      api('PUT', '/me/email', { address: address.value.trim() || null, notify: notify.checked })
        .then(() => mount(status, h('p', { class: 'ok' }, notify.checked ? 'Saved: you will get a mail when a run ends.' : 'Saved: no mails.')))
        .catch((err: unknown) => mount(status, errorBox(err)));
    });
    mount(box,
      h('h2', { id: 'notifications-title' }, 'Notifications'),
      h('p', null, 'Every page of this site shows a notice when one of your runs ends. You can also be told elsewhere:'),
      h('h3', null, 'Webhook'),
      h('p', { class: 'muted' }, 'A JSON run_ended event is POSTed to this URL when one of your runs ends.'),
      hookForm('/me/webhook', hook, 'Webhook URL', () => void refresh()),
      h('h3', null, 'E-mail'),
      email.available ? null : h('p', { class: 'muted' }, 'This server sends no e-mail (its admin has not set it up).'),
      mailForm, status,
      h('h3', null, 'Recent deliveries'), deliveriesTable(hook.deliveries));
  };
  await refresh();
  return box;
}

/** The hosting page's part: the competition's webhook (every run's end, and alerts) and its deliveries. */
export async function competitionWebhook(slug: string): Promise<HTMLElement> {
  const path = `/competitions/${encodeURIComponent(slug)}/webhook`;
  const box = h('section', null);
  const refresh = async () => {
    const hook = await api<HookView>('GET', path);
    mount(box,
      h('h2', null, 'Webhook'),
      h('p', null, 'Holdout POSTs run_ended of every run of this competition, and alerts (a queue that does not move, a lost worker, a storage error), to this URL, signed with your account\'s secret.'),
      hookForm(path, hook, 'Competition webhook URL', () => void refresh()),
      h('h3', null, 'Recent deliveries'), deliveriesTable(hook.deliveries));
  };
  await refresh();
  return box;
}

/** The admin page's part: the latest alerts of every competition. */
export async function recentAlerts(): Promise<HTMLElement> {
  const alerts = await api<Delivery[]>('GET', '/admin/alerts');
  return h('section', null, h('h2', null, 'Recent alerts'),
    alerts.length
      ? h('div', { class: 'scroll' }, h('table', null,
        h('thead', null, h('tr', null, ['When', 'Alert', 'Competition', 'Message', 'Webhook'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, alerts.map((a) => h('tr', null, h('td', null, fmtDate(a.createdAt)), h('td', null, (a.event.alert ?? '').replace(/_/g, ' ')),
          h('td', null, a.event.competition ? h('a', { href: `/c/${encodeURIComponent(a.event.competition.slug)}/host` }, a.event.competition.title) : 'the platform'),
          h('td', null, a.event.message ?? ''), h('td', null, a.target ? a.status : 'none set'))))))
      : h('p', null, 'No alerts.'));
}
