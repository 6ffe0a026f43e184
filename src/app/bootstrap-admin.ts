import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from './context.js';
import { createUser } from './accounts.js';

/**
 * Makes sure an admin can sign in on a fresh install: creates "admin" with a random password the
 * first time, and writes the credentials to <dataDir>/admin-credentials.txt (mode 0600).
 * Returns the password when it was just created.
 */
export async function bootstrapAdmin(ctx: AppContext): Promise<{ username: string; password?: string; file: string }> {
  const file = path.join(ctx.config.dataDir, 'admin-credentials.txt');
  const existing = await ctx.users.byName('admin');
  if (existing) return { username: 'admin', file };
  const password = randomBytes(12).toString('base64url');
  await createUser(ctx.users, 'admin', password, 'admin');
  await writeFile(file, `username: admin\npassword: ${password}\n`, { mode: 0o600 });
  return { username: 'admin', password, file };
}
