import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';

/** Debian's docker-registry, a real OCI registry for the tests. */
export const registryBinary = '/usr/bin/docker-registry';
export const hasRegistry = (): boolean => existsSync(registryBinary);

/** A loopback port nothing listens on (for a moment). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForRegistry(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}`);
    if (await fetch(`${url}/v2/`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('docker-registry did not answer within 10 s');
}

/** Starts a registry on a free loopback port, storing under `dir`; resolves once it answers. */
export async function startRegistry(dir: string): Promise<{ host: string; process: ChildProcess }> {
  const host = `127.0.0.1:${await freePort()}`;
  const config = path.join(dir, 'registry.yml');
  await writeFile(config, `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/registry-data\nhttp:\n  addr: ${host}\n`);
  const child = spawn(registryBinary, ['serve', config], { stdio: 'ignore' });
  await waitForRegistry(`http://${host}`, child);
  return { host, process: child };
}
