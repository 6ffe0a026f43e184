import { Command } from 'commander';
import { outputOf } from '../cli-output.js';
import { connect } from '../connect.js';

interface WorkerTokenInfo {
  id: string;
  name: string;
  competitions: string[];
  createdAt: string;
  token?: string;
}

/**
 * `holdout worker-token create|list|revoke` (host): tokens for outbound-only workers
 * (`holdout worker --server URL --token T`) that serve the queues of competitions you host.
 */
export function workerTokenCommand(): Command {
  const command = new Command('worker-token').description('tokens that let a worker of your own serve competitions you host over the API (host)');
  command
    .command('create')
    .description('create a worker token; it is shown once')
    .requiredOption('--competition <slug...>', 'the competitions its workers serve (you must host each)')
    .option('--name <name>', 'what the token is for', 'worker')
    .action(async (opts: { competition: string[]; name: string }, cmd: Command) => {
      const client = await connect(cmd, true);
      const t = await client.json<WorkerTokenInfo>('POST', '/api/worker-tokens', { name: opts.name, competitions: opts.competition });
      outputOf(cmd).result(t, [`worker token ${t.id} for ${t.competitions.join(', ')} (shown once):`, t.token ?? '', `run: holdout worker --server ${client.server} --token <token>`]);
    });
  command
    .command('list')
    .description('the worker tokens you created')
    .action(async (_opts: unknown, cmd: Command) => {
      const tokens = await (await connect(cmd, true)).get<WorkerTokenInfo[]>('/api/worker-tokens');
      outputOf(cmd).result(tokens, tokens.length ? tokens.map((t) => `${t.id}  ${t.name}  ${t.competitions.join(',')}  ${t.createdAt}`) : ['no worker tokens']);
    });
  command
    .command('revoke')
    .description('revoke a worker token: its workers are refused from their next call')
    .argument('<id>', 'the token id (from list)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await (await connect(cmd, true)).request('DELETE', `/api/worker-tokens/${encodeURIComponent(id)}`);
      outputOf(cmd).result({ revoked: id }, `revoked worker token ${id}`);
    });
  return command;
}
