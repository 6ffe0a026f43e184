#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=150
// The flags, as in `npm start` and the Docker image (bench/upload measured both):
// - V8's young generation stays at 2 MiB semi-spaces (its default grows to 16): about 25 MiB less RSS.
// - The old generation may grow to 2.5 times what a full GC left before the next one. V8 counts
//   every young ArrayBuffer towards that growth until a scavenge frees it, and the HTTP parser makes
//   one per 64 KiB of an upload's body; with the default headroom (about 10 MB for a heap this size)
//   a multi-GB upload set off a full GC every 30 MB: 72 of them per 2 GiB, 6 CPU-seconds. Now 4.
import { Command } from 'commander';
import { describeConfig } from '../app/config.js';
import { competitionCommand } from './commands/competition-command.js';
import { downloadCommand } from './commands/download-command.js';
import { initCommand } from './commands/init-command.js';
import { leaderboardCommand } from './commands/leaderboard-command.js';
import { loginCommands } from './commands/login-command.js';
import { packCommand } from './commands/pack-command.js';
import { rulesCommand } from './commands/rules-command.js';
import { runtimeCommand } from './commands/runtime-command.js';
import { serveCommand } from './commands/serve-command.js';
import { statusCommands } from './commands/status-command.js';
import { submitCommand } from './commands/submit-command.js';
import { testSubmissionCommand } from './commands/test-submission-command.js';
import { workerCommand } from './commands/worker-command.js';
import { workerTokenCommand } from './commands/worker-token-command.js';
import { painter } from './colour.js';
import { CliError, describeExitCodes, exitCodes } from './exit-codes.js';

const program = new Command()
  .name('holdout')
  .description('Holdout: code execution competitions you host yourself')
  .option('--json', 'print results as JSON on stdout (notes and progress stay on stderr)')
  .option('--server <url>', 'the Holdout server (default: HOLDOUT_SERVER, else the one of "holdout login")')
  .addHelpText(
    'after',
    `\nParticipants: register, login, init, pack, test-submission, submit, status, logs, leaderboard, download, rules.` +
      `\nHosts: serve, worker, worker-token, competition, runtime.` +
      `\n\nExit codes:\n${describeExitCodes()}` +
      `\n\nConfiguration of serve, worker, competition and runtime (environment variables):\n${describeConfig()}`,
  );

// Participants.
for (const command of [
  ...loginCommands(),
  initCommand(),
  packCommand(),
  testSubmissionCommand(),
  submitCommand(),
  ...statusCommands(),
  leaderboardCommand(),
  downloadCommand(),
  rulesCommand(),
]) {
  program.addCommand(command);
}

// Hosts.
for (const command of [serveCommand(), workerCommand(), workerTokenCommand(), competitionCommand(), runtimeCommand()]) program.addCommand(command);

/** Commands added with addCommand do not inherit these settings: usage errors exit 2 everywhere. */
function applySettings(cmd: Command): void {
  cmd.showHelpAfterError('(run with --help for usage)').exitOverride((err) => process.exit(err.exitCode === 0 ? exitCodes.ok : exitCodes.usage));
  for (const sub of cmd.commands) applySettings(sub);
}
applySettings(program);

/** Every error ends here: one line on stderr (and a JSON document with --json), and its exit code. */
function fail(err: unknown): never {
  const json = process.argv.includes('--json');
  const prefix = painter(process.stderr)('holdout:', 'red');
  if (err instanceof CliError) {
    process.stderr.write(`${prefix} ${err.message}\n`);
    if (json) process.stdout.write(`${JSON.stringify(err.result ?? { error: err.code, message: err.message }, null, 2)}\n`);
    process.exit(err.exitCode);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${prefix} ${message}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ error: 'failure', message }, null, 2)}\n`);
  process.exit(exitCodes.failure);
}

program.parseAsync().catch(fail);
