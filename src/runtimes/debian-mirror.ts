import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Debian's own redirector: used when the host's apt configuration names no mirror. */
export const defaultDebianMirror = 'http://deb.debian.org/debian';

/**
 * The archive URL of the first apt source serving Debian's main archive (not the security one),
 * from the texts of `sources.list` files (one-line format) and `.sources` files (deb822). Pure.
 */
export function mirrorFromSources(texts: readonly string[]): string | undefined {
  const candidates: string[] = [];
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const oneLine = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/.exec(line);
      if (oneLine?.[1]) candidates.push(oneLine[1]);
    }
    // deb822 stanzas are separated by blank lines; "URIs:" may list several.
    for (const stanza of text.split(/\n\s*\n/)) {
      if (!/^Types:.*\bdeb\b/im.test(stanza)) continue;
      const uris = /^URIs:\s*(.+)$/im.exec(stanza)?.[1];
      if (uris) candidates.push(...uris.trim().split(/\s+/));
    }
  }
  return candidates.find((uri) => /^https?:\/\//.test(uri) && !/security/.test(uri))?.replace(/\/+$/, '');
}

/** The mirror this host's apt uses, so a runtime build reaches the archive the host can reach. */
export function hostDebianMirror(aptDir = '/etc/apt'): string {
  const texts: string[] = [];
  const read = (file: string) => {
    try {
      texts.push(readFileSync(file, 'utf8'));
    } catch {
      // a missing file names no mirror
    }
  };
  read(path.join(aptDir, 'sources.list'));
  let names: string[] = [];
  try {
    names = readdirSync(path.join(aptDir, 'sources.list.d')).sort();
  } catch {
    // no sources.list.d
  }
  for (const name of names) if (name.endsWith('.list') || name.endsWith('.sources')) read(path.join(aptDir, 'sources.list.d', name));
  return mirrorFromSources(texts) ?? defaultDebianMirror;
}
