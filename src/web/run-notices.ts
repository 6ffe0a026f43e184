import { fmtScore, h } from './dom.js';

interface RunEnded { id: string; kind: string; status: string; reason: string | null; competition: { slug: string; title: string }; publicScore: number | null }

let stream: EventSource | undefined;
let streamUser: string | undefined;

/**
 * Tells the signed-in user, on whatever page of the app they are, when one of their runs ends:
 * one stream (GET /api/me/events) for the whole visit, a notice per run that stays until dismissed.
 */
export function followRunNotices(userId: string | null): void {
  if (userId === streamUser) return;
  stream?.close();
  stream = undefined;
  streamUser = userId ?? undefined;
  if (!userId) return;
  stream = new EventSource('/api/me/events');
  stream.addEventListener('run_ended', (e) => show(JSON.parse((e as MessageEvent<string>).data) as RunEnded));
}

function show(r: RunEnded): void {
  let box = document.getElementById('notices');
  if (!box) {
    box = h('div', { id: 'notices', class: 'notices', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const what = r.kind === 'smoke' ? 'Your smoke test' : 'Your submission';
  const outcome = r.status === 'scored' ? `was scored: ${fmtScore(r.publicScore)}` : r.status === 'failed' ? `failed (${(r.reason ?? 'failed').replace(/_/g, ' ')})` : 'was cancelled';
  const notice = h('p', { class: `notice notice-${r.status}` },
    `${what} to ${r.competition.title} ${outcome}. `,
    h('a', { href: `/s/${encodeURIComponent(r.id)}` }, 'See it'),
    ' ',
    h('button', { type: 'button', class: 'secondary', 'aria-label': 'Dismiss', onclick: () => notice.remove() }, '×'));
  box.append(notice);
}
