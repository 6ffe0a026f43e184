/**
 * Competition bundles: a folder with `competition.yaml` and data files, validated and
 * normalised into a {@link CompetitionConfig}.
 * @packageDocumentation
 */
export type { CompetitionConfig } from '../domain/competition.js';
export { BundleError, type BundleIssue, formatIssue } from './bundle-error.js';
export { bundleDigest } from './bundle-digest.js';
export { configFile, type LoadedBundle, loadBundle } from './load-bundle.js';
export { higherIsBetterByDefault, isKnownMetric, type KnownMetric, knownMetrics } from './metrics.js';
export { competitionSchema, defaultLimits } from './schema.js';
export { splitCommand } from '../domain/split-command.js';
export { formatDuration, formatSize, parseDuration, parseSize } from './units.js';
