import type { HoldoutEvent } from './events.js';

export interface MailText {
  subject: string;
  text: string;
}

const score = (n: number | null | undefined): string => (n === null || n === undefined ? 'none' : String(Number(n.toPrecision(6))));

/**
 * The mail for an event, in words: what ended and how (or what the alert says), with links when
 * the server knows its public address. Plain text only, so every mail reader shows the same.
 */
export function mailText(event: HoldoutEvent, publicUrl?: string): MailText {
  const base = publicUrl?.replace(/\/+$/, '');
  const footer = (why: string) => `\n--\nHoldout. ${why}${base ? ` Change it on ${base}/profile.` : ' Change it on your profile page.'}\n`;
  if (event.event === 'alert') {
    const where = event.competition ? `${event.competition.title} (${event.competition.slug})` : 'the platform';
    const lines = [`Alert for ${where}: ${event.alert.replace(/_/g, ' ')}.`, '', event.message, '', `Raised at ${event.at}.`];
    if (base && event.competition) lines.push(`Hosting page: ${base}/c/${encodeURIComponent(event.competition.slug)}/host`);
    return { subject: `[Holdout] ${event.alert.replace(/_/g, ' ')}: ${where}`, text: lines.join('\n') + footer('You get alerts because you host this competition and turned on e-mail notifications.') };
  }
  const s = event.submission;
  const what = s.kind === 'smoke' ? 'Your smoke test' : 'Your submission';
  const outcome = s.status === 'scored' ? `was scored: ${score(event.score?.public)}` : s.status === 'failed' ? `failed (${(s.reason ?? 'failed').replace(/_/g, ' ')})` : 'was cancelled';
  const lines = [`${what} ${s.id} to ${event.competition.title} (phase ${s.phase}) ${outcome}.`, ''];
  if (event.score) {
    lines.push(`Public score: ${score(event.score.public)}`);
    if (event.score.private !== undefined) lines.push(`Private score: ${score(event.score.private)}`);
  }
  lines.push(`Finished: ${s.finishedAt ?? event.at}`);
  if (base) lines.push(`See it: ${base}/s/${encodeURIComponent(s.id)}`);
  return { subject: `[Holdout] ${what} to ${event.competition.title} ${outcome}`, text: lines.join('\n') + footer('You get these mails because you turned on e-mail notifications.') };
}
