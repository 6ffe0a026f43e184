import os from 'node:os';
import { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { globalOptions, outputOf } from '../cli-output.js';
import { connect } from '../connect.js';
import { CliError, exitCodes } from '../exit-codes.js';
import { ask, askHidden, readStdin } from '../prompt.js';
import { configFile, forgetLogin, normalizeServer, readLogin, writeLogin } from '../user-config.js';

interface Session {
  user: { username: string; role: string };
  token: string;
}

/**
 * `holdout login` and `holdout register`: the same steps but the first request (an account is
 * created first for register); both save a long-lived API token.
 */
function signInCommand(kind: 'login' | 'register'): Command {
  const doing = kind === 'login' ? 'sign in to a Holdout server' : 'create an account on a Holdout server';
  return new Command(kind)
    .description(`${doing} and save an API token in your config folder`)
    .option('--username <name>', `your username (asked when missing)${kind === 'register' ? ': 3 to 32 letters, digits, ".", "_" or "-"' : ''}`)
    .option('--password-stdin', `read the password from stdin (for scripts), e.g. echo "$PW" | holdout ${kind} ...`)
    .addHelpText('after', `\nThe token is saved with mode 0600 in ${configFile()} ($XDG_CONFIG_HOME/holdout).`)
    .action(async (opts: { username?: string; passwordStdin?: boolean }, cmd: Command) => {
      const out = outputOf(cmd);
      const given = globalOptions(cmd).server ?? process.env.HOLDOUT_SERVER ?? (await readLogin().catch(() => undefined))?.server;
      if (given === undefined) throw new CliError(`which server? pass --server URL, e.g. holdout ${kind} --server https://holdout.example.org`, exitCodes.usage);
      const server = normalizeServer(given);
      const username = opts.username ?? (await ask('Username: '));
      const password = opts.passwordStdin ? await readStdin() : await askHidden(kind === 'register' ? 'Password (8 characters or more): ' : 'Password: ');
      if (username === '' || password === '') throw new CliError('a username and a password are needed', exitCodes.usage);

      const anonymous = new ApiClient(server);
      const session = await anonymous.json<Session>('POST', `/api/auth/${kind}`, { username, password });
      // A long-lived API token, named after this machine, instead of the 30-day session token.
      const withSession = new ApiClient(server, session.token);
      const api = await withSession.json<{ id: string; token: string }>('POST', '/api/tokens', { name: `holdout CLI on ${os.hostname()}`.slice(0, 100) });
      await withSession.json('POST', '/api/auth/logout').catch(() => undefined);
      const file = await writeLogin({ server, token: api.token, tokenId: api.id, username: session.user.username });
      out.result(
        { server, username: session.user.username, role: session.user.role, configFile: file, created: kind === 'register' },
        `${kind === 'register' ? 'Created the account' : 'Logged in to'} ${kind === 'register' ? `${session.user.username} on ${server}` : `${server} as ${session.user.username}`}; the API token is saved in ${file}`,
      );
    });
}

/** `holdout login`, `holdout register`, `holdout logout`, `holdout whoami`. */
export function loginCommands(): Command[] {
  const login = signInCommand('login');
  const register = signInCommand('register');

  const logout = new Command('logout')
    .description('revoke the saved API token and forget it')
    .action(async (_opts: unknown, cmd: Command) => {
      const out = outputOf(cmd);
      const saved = await readLogin();
      if (!saved) {
        out.result({ loggedOut: false }, 'not logged in');
        return;
      }
      let revoked = false;
      if (saved.tokenId) {
        // Forget the token even if the server is gone: the user asked for it.
        revoked = await new ApiClient(saved.server, saved.token)
          .json('DELETE', `/api/tokens/${encodeURIComponent(saved.tokenId)}`)
          .then(() => true, () => false);
      }
      await forgetLogin();
      out.result({ loggedOut: true, revoked }, `Logged out of ${saved.server}${revoked ? '' : ' (the token could not be revoked on the server)'}`);
    });

  const whoami = new Command('whoami')
    .description('show the user the saved token belongs to')
    .action(async (_opts: unknown, cmd: Command) => {
      const client = await connect(cmd, true);
      const me = await client.get<{ username: string; role: string }>('/api/me');
      outputOf(cmd).result({ server: client.server, ...me }, `${me.username} (${me.role}) on ${client.server}`);
    });

  return [login, register, logout, whoami];
}
