import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CliError, exitCodes } from './exit-codes.js';

const savedLogin = z.object({
  server: z.string(),
  token: z.string(),
  /** Id of the API token, so `logout` can revoke it. */
  tokenId: z.string().optional(),
  username: z.string().optional(),
});

/** What `holdout login` stores: one server and its API token. */
export type SavedLogin = z.infer<typeof savedLogin>;

/** `$XDG_CONFIG_HOME/holdout`, else `~/.config/holdout`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'holdout');
}

/** `$XDG_CACHE_HOME/holdout`, else `~/.cache/holdout`: downloaded smoke samples. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'holdout');
}

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), 'config.json');
}

/** The saved login, or undefined when there is none. */
export async function readLogin(env: NodeJS.ProcessEnv = process.env): Promise<SavedLogin | undefined> {
  let text: string;
  try {
    text = await readFile(configFile(env), 'utf8');
  } catch {
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const parsed = savedLogin.safeParse(raw);
  if (!parsed.success) throw new CliError(`${configFile(env)} is damaged; run "holdout login" again`, exitCodes.auth);
  return parsed.data;
}

/**
 * Saves the login readable by its owner only (0600 in a 0700 folder): the token is as good as
 * the password. Written to a temporary file first, so a crash never leaves half a file.
 */
export async function writeLogin(login: SavedLogin, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = configFile(env);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode applies only to a new file; make sure of it.
  await chmod(temp, 0o600);
  await rename(temp, file);
  return file;
}

export async function forgetLogin(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await rm(configFile(env), { force: true });
}

/** A server URL as given on the command line, checked and without trailing slashes. */
export function normalizeServer(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`"${url}" is not a URL; give the server as http(s)://host[:port]`, exitCodes.usage);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(`"${url}" is not an http(s) URL`, exitCodes.usage);
  }
  return parsed.toString().replace(/\/+$/, '');
}
