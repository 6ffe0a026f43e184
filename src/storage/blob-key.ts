/**
 * Keys are relative "/"-paths of safe characters: no "..", no empty parts, no leading slash, at
 * most 1024 characters, each part at most 255 (a file name's limit on the fs store).
 */
export function assertValidKey(key: string): void {
  if (!isValidKey(key)) throw new Error(`invalid blob key: ${JSON.stringify(key)}`);
}

/** A `list` prefix is "" (every blob) or a valid key naming a folder, with or without a trailing "/". */
export function assertValidPrefix(prefix: string): void {
  const folder = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (prefix !== '' && !isValidKey(folder)) throw new Error(`invalid blob prefix: ${JSON.stringify(prefix)}`);
}

function isValidKey(key: string): boolean {
  const parts = key.split('/');
  return key.length > 0 && key.length <= 1024 && parts.every((p) => p !== '' && p !== '.' && p !== '..' && p.length <= 255 && /^[\w.\-]+$/.test(p));
}
