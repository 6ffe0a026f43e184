import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root folder, from src/cli or dist/cli alike. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The demo competition loaded by `holdout serve --demo`. */
export const demoBundle = path.join(packageRoot, 'examples', 'digits', 'bundle');

/** The runtime recipes shipped with Holdout (`runtimes/<name>/`). */
export const shippedRecipes = path.join(packageRoot, 'runtimes');
