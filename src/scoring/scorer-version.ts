import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// src/scoring/ and dist/scoring/ both lie two levels below the package root.
const packageJson = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');

/**
 * The version of Holdout's own scoring code (prediction checks, built-in metrics, splits), as
 * recorded beside each score: with the bundle digest (which covers a host's scoring program) it
 * names the code that computed a result.
 */
export const scorerVersion = `holdout@${(JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version}`;
