/** When a daily quota (counted per UTC day) starts again after `now`: the moment, in seconds, in words. Pure. */
export function quotaReset(now: Date): { at: string; seconds: number; words: string } {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  const seconds = Math.max(1, Math.ceil((next - now.getTime()) / 1000));
  const minutes = Math.ceil(seconds / 60);
  const wait = minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return { at: new Date(next).toISOString(), seconds, words: `at midnight UTC (${new Date(next).toISOString().slice(0, 16).replace('T', ' ')} UTC, in ${wait})` };
}
