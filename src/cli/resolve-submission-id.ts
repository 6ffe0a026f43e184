import type { ApiClient } from './api-client.js';
import { competitionPath } from './competition-details.js';
import { CliError, exitCodes } from './exit-codes.js';

const fullId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every submission of mine (my team's too) in every competition, newest first. */
export async function mySubmissions<T extends { id: string; createdAt: string }>(client: ApiClient, only?: string): Promise<(T & { competition: string })[]> {
  const slugs = only !== undefined ? [only] : (await client.get<{ slug: string }[]>('/api/competitions')).map((c) => c.slug);
  const all: (T & { competition: string })[] = [];
  for (const slug of slugs) all.push(...(await client.get<T[]>(`${competitionPath(slug)}/submissions`)).map((s) => ({ ...s, competition: slug })));
  return all.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * A submission id from what was typed: a whole id as it is, or the start of one of mine (as
 * `status` prints them, 8 characters) when exactly one matches.
 */
export async function resolveSubmissionId(client: ApiClient, typed: string): Promise<string> {
  if (fullId.test(typed)) return typed;
  if (!/^[0-9a-f-]{4,}$/i.test(typed)) throw new CliError(`"${typed}" is not a submission id; give at least its first 4 characters (see "holdout status")`, exitCodes.usage);
  const matches = (await mySubmissions<{ id: string; createdAt: string }>(client)).filter((s) => s.id.startsWith(typed.toLowerCase()));
  if (matches.length === 1 && matches[0]) return matches[0].id;
  if (matches.length === 0) throw new CliError(`no submission of yours starts with "${typed}" (see "holdout status")`, exitCodes.notFound, 'not_found');
  throw new CliError(`"${typed}" starts ${matches.length} of your submissions (${matches.slice(0, 4).map((s) => s.id.slice(0, 12)).join(', ')}…); type more of it`, exitCodes.usage);
}
