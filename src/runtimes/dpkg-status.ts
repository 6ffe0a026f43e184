import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Installed packages and their versions from the text of dpkg's status file
 * (`var/lib/dpkg/status`): only stanzas whose Status ends in "installed". Pure.
 */
export function installedPackages(statusText: string): Map<string, string> {
  const installed = new Map<string, string>();
  for (const stanza of statusText.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(stanza)?.[1]?.trim();
    const name = field('Package');
    const version = field('Version');
    if (name && version && / installed$/.test(field('Status') ?? '')) installed.set(name, version);
  }
  return installed;
}

/** The packages installed in a root file system folder. */
export async function rootfsPackages(rootfs: string): Promise<Map<string, string>> {
  return installedPackages(await readFile(path.join(rootfs, 'var', 'lib', 'dpkg', 'status'), 'utf8'));
}
