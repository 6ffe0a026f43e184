import type { Command } from 'commander';
import { ApiClient } from './api-client.js';
import { globalOptions } from './cli-output.js';
import { CliError, exitCodes } from './exit-codes.js';
import { normalizeServer, readLogin } from './user-config.js';

/**
 * An API client for a command: the server from `--server`, `HOLDOUT_SERVER` or the saved login;
 * the token from `HOLDOUT_TOKEN` or the saved login, but only for the server it was issued by,
 * so a token is never sent to another server.
 * @param needsLogin - refuse with `auth` when there is no token
 */
export async function connect(cmd: Command, needsLogin: boolean): Promise<ApiClient> {
  const saved = await readLogin();
  const given = globalOptions(cmd).server ?? process.env.HOLDOUT_SERVER;
  const raw = given ?? saved?.server;
  if (raw === undefined) {
    throw new CliError('no server given: run "holdout login --server URL" first, or pass --server URL', needsLogin ? exitCodes.auth : exitCodes.usage);
  }
  const server = normalizeServer(raw);
  const envToken = process.env.HOLDOUT_TOKEN;
  const token = envToken ? envToken : saved !== undefined && normalizeServer(saved.server) === server ? saved.token : undefined;
  if (needsLogin && token === undefined) {
    throw new CliError(`you are not logged in to ${server}; run "holdout login --server ${server}"`, exitCodes.auth);
  }
  return new ApiClient(server, token);
}
