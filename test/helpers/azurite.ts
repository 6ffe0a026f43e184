import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** The emulator's fixed development account (public, documented by Microsoft; not a secret). */
const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A real Azurite blob service on a loopback port, with its own storage folder. */
export interface Azurite {
  /** Blob endpoint of the development account, e.g. http://127.0.0.1:41234/devstoreaccount1. */
  endpoint: string;
  /** A connection string that signs with the account key. */
  connectionString: string;
  /** The same account, signed with another key (every request is refused). */
  connectionStringWithKey(key: string): string;
  /** Kills the server and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts `azurite-blob` from node_modules on a port the kernel picks, and resolves once it listens.
 * @throws when Azurite is not installed or does not start within 30 s (callers skip with the message).
 */
export async function startAzurite(): Promise<Azurite> {
  const bin = path.join(repoRoot, 'node_modules', '.bin', 'azurite-blob');
  if (!existsSync(bin)) throw new Error(`${bin} is missing (npm install)`);
  const location = await mkdtemp(path.join(tmpdir(), 'holdout-azurite-'));
  // Port 0 works: Azurite prints the port it got. No telemetry (it would phone home from tests); the
  // API version check is skipped because the SDK may be newer than the emulator.
  const args = ['--blobHost', '127.0.0.1', '--blobPort', '0', '--location', location, '--silent', '--disableTelemetry', '--skipApiVersionCheck'];
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Never outlive the test process, even when it ends without calling stop().
  const killOnExit = () => proc.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    await kill(proc);
    await rm(location, { recursive: true, force: true });
  };
  try {
    const endpoint = `${await listening(proc)}/${ACCOUNT}`;
    const withKey = (key: string) => `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${key};BlobEndpoint=${endpoint};`;
    return { endpoint, connectionString: withKey(KEY), connectionStringWithKey: withKey, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The base URL from Azurite's "successfully listens on http://…" line. */
function listening(proc: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not listen within 30 s: ${output}`)), 30_000);
    const settle = () => clearTimeout(timer);
    proc.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-2000)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      output = (output + line + '\n').slice(-2000);
      const url = /successfully listens on (http:\/\/\S+)/.exec(line)?.[1];
      if (url) {
        settle();
        resolve(url);
      }
    });
    proc.once('error', (err) => {
      settle();
      reject(err);
    });
    proc.once('exit', (code, signal) => {
      settle();
      reject(new Error(`Azurite exited (${code ?? signal}) before it listened: ${output}`));
    });
  });
}

async function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
