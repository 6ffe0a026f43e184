import { randomUUID } from 'node:crypto';
import { isUniqueViolation } from '../db/db-errors.js';
import type { UserRow } from '../db/schema.js';
import type { UsersRepo } from '../db/users-repo.js';
import { hashPassword, newToken } from './passwords.js';

/** The username exists already. */
export class UsernameTakenError extends Error {
  constructor(readonly username: string) {
    super(`the username "${username}" is taken; choose another`);
    this.name = 'UsernameTakenError';
  }
}

const SESSION_DAYS = 30;

/** Creates a user with a hashed password. @throws UsernameTakenError */
export async function createUser(users: UsersRepo, username: string, password: string, role: UserRow['role']): Promise<UserRow> {
  try {
    return await users.create({
      id: randomUUID(),
      username,
      password_hash: await hashPassword(password),
      role,
      created_at: new Date().toISOString(),
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new UsernameTakenError(username);
    throw err;
  }
}

/** A new bearer token: sessions expire after 30 days, API tokens when revoked. */
export async function issueToken(users: UsersRepo, userId: string, kind: 'session' | 'api', name: string) {
  const { token, hash } = newToken();
  const id = randomUUID();
  const expiresAt = kind === 'session' ? new Date(Date.now() + SESSION_DAYS * 86_400_000).toISOString() : null;
  await users.addToken({ id, userId, hash, kind, name, expiresAt });
  return { id, token, expiresAt };
}
