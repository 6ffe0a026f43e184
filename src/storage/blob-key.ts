/** Keys are relative "/"-paths of safe characters: no "..", no empty parts, no leading slash. */
export function assertValidKey(key: string): void {
  const parts = key.split('/');
  const bad = key.length === 0 || key.length > 1024 || parts.some((p) => p === '' || p === '.' || p === '..' || !/^[\w.\-]+$/.test(p));
  if (bad) throw new Error(`invalid blob key: ${JSON.stringify(key)}`);
}
