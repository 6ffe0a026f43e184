import { spawn } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/holdout-server.js';

/** The CLI's entry point, run as a process exactly as a user runs it (through tsx). */
export const cliMain = path.join(repoRoot, 'src', 'cli', 'main.ts');
/** tsx's loader by URL: `--import tsx` would resolve it from the process's working folder. */
const tsxLoader = import.meta.resolve('tsx');

/** What a CLI process did. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A user of the CLI: their own config and cache folders (XDG_*), so tests never share a login.
 * `run` starts `node --import tsx src/cli/main.ts ...args` and waits for it.
 */
export class CliUser {
  private constructor(
    readonly home: string,
    /** Host uid the CLI runs as (through setpriv); undefined: this process's user. */
    readonly uid?: number,
  ) {}

  /** A user with a fresh home; with `uid`, the CLI runs as that (unprivileged) host user. */
  static async create(opts: { uid?: number } = {}): Promise<CliUser> {
    const home = await mkdtemp(path.join(tmpdir(), 'holdout-cli-user-'));
    if (opts.uid !== undefined) await chown(home, opts.uid, opts.uid);
    return new CliUser(home, opts.uid);
  }

  get configDir(): string {
    return path.join(this.home, 'config');
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: this.configDir, XDG_CACHE_HOME: path.join(this.home, 'cache'), ...extra };
    // The test's own environment must not choose a server or a token for the CLI.
    delete env.HOLDOUT_SERVER;
    delete env.HOLDOUT_TOKEN;
    // Nor colour: a test asks for it with FORCE_COLOR in `extra`.
    if (!('FORCE_COLOR' in extra)) delete env.FORCE_COLOR;
    if (!('NO_COLOR' in extra)) delete env.NO_COLOR;
    return env;
  }

  run(args: readonly string[], opts: { input?: string; cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const argv = [process.execPath, '--import', tsxLoader, cliMain, ...args];
      const asUser = this.uid === undefined ? [] : ['/usr/bin/setpriv', '--reuid', String(this.uid), '--regid', String(this.uid), '--clear-groups'];
      const [file = '', ...rest] = [...asUser, ...argv];
      const child = spawn(file, rest, {
        cwd: opts.cwd ?? this.home,
        env: this.env(opts.env),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
      });
      child.stdin.end(opts.input ?? '');
    });
  }

  /** Logs in with --password-stdin (the test server's participants share one password). */
  login(server: string, username: string, password = 'correct horse battery'): Promise<CliRun> {
    return this.run(['login', '--server', server, '--username', username, '--password-stdin'], { input: `${password}\n` });
  }

  async cleanup(): Promise<void> {
    await rm(this.home, { recursive: true, force: true });
  }
}

/** The last non-empty line of stderr: the CLI's one-line explanation of a failure. */
export function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

/** Describes a run for an assertion message. */
export function show(run: CliRun): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}
