import { type CompetitionConfig, finalSelectionsOf } from '../domain/competition.js';

const mib = (bytes: number) => `${Math.round((bytes / 2 ** 20) * 10) / 10} MiB`;
const duration = (ms: number) => (ms >= 60_000 ? `${Math.round((ms / 60_000) * 10) / 10} minutes` : `${Math.round(ms / 1000)} seconds`);

const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** "1 February 2027, 00:00 UTC": the rules are one text for everyone, so in UTC, named. */
export function humanUtc(d: Date): string {
  const hm = d.toISOString().slice(11, 16);
  return `${d.getUTCDate()} ${months[d.getUTCMonth()] ?? ''} ${d.getUTCFullYear()}, ${hm} UTC`;
}

/** The limits of one run in plain words, as the competition page and the rules state them. */
export function limitsInWords(c: CompetitionConfig): string[] {
  const l = c.limits;
  return [
    `Time: each run is stopped after ${duration(l.wallTimeMs)} of wall-clock time.`,
    `Memory: ${mib(l.memoryBytes)} for all processes together; more and the run is killed.`,
    `CPU: ${l.cpus} core${l.cpus === 1 ? '' : 's'}; at most ${l.pids} processes and threads.`,
    `GPU: ${l.gpus === 0 ? 'none' : `${l.gpus}`}.`,
    `Output: at most ${mib(l.outputBytes)} written in all; logs are kept up to ${mib(l.logBytes)}.`,
    'Network: none. The test features are read-only; the labels are never visible to a run.',
  ];
}

/**
 * The rules a participant accepts before their first submission, generated from the
 * competition's configuration so they always match what the platform enforces.
 */
export function competitionRules(c: CompetitionConfig): string {
  const raw = c.scoring.program?.input === 'raw';
  const phases = c.phases.map((p) => {
    const words = [
      `- **${p.name}**: from ${humanUtc(p.start)}${p.end ? ` to ${humanUtc(p.end)}` : ''}, ${p.dailyQuota} submissions per participant or team per UTC day`,
      p.totalQuota === undefined ? '' : `, ${p.totalQuota} in the whole phase`,
      p.submission === 'results' ? '. Submit predictions (the results file or a zip of them), not code' : '',
      // Said outright: participants otherwise assume a hidden part decides the final ranking.
      raw || p.own?.private === false ? '. Scored on the whole reference set: there is no private part, the leaderboard shown is the final one' : '',
      p.carrySelections ? '. Your selected submissions of the phase before are re-run on this phase\'s data' : '',
      '.',
    ];
    return words.join('');
  });
  return [
    `# Rules of ${c.title}`,
    '',
    '1. One account per person. Do not share code or predictions privately outside your team.',
    '2. A team shares one daily quota and one leaderboard entry. You can change teams only on a day you have not submitted.',
    '3. Submissions run on the platform with the limits below; trying to get around them, to reach the network or to read the labels leads to disqualification.',
    `4. The private leaderboard decides the final ranking. Up to ${finalSelectionsOf(c)} selected submissions count; without a selection, your best public ones do.`,
    '5. Hosts may re-run submissions, cancel runs and disqualify participants who break these rules.',
    '',
    '## Phases',
    ...phases,
    '',
    '## Limits of a run',
    ...limitsInWords(c).map((l) => `- ${l}`),
  ].join('\n');
}
