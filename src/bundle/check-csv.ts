import path from 'node:path';
import type { DataConfig, MetricSpec, ScoringConfig, SplitSpec } from '../domain/competition.js';
import type { BundleIssue } from './bundle-error.js';
import { CsvError, type CsvSummary, summariseCsv } from './summarise-csv.js';

type ColumnSplit = Extract<SplitSpec, { kind: 'column' }>;

const examples = (ids: string[]) => ids.slice(0, 3).map((id) => JSON.stringify(id)).join(', ');

/** Issues every id-keyed CSV can have: wrong first column, repeated or empty ids. */
function idIssues(csv: CsvSummary, file: string, field: string, idColumn: string): BundleIssue[] {
  const issues: BundleIssue[] = [];
  if (csv.header[0] !== idColumn) {
    issues.push({ file, field: 'id_column', message: `the first column is "${csv.header[0] ?? ''}"; expected the id column "${idColumn}"` });
  }
  const repeated = csv.header.find((name, i) => csv.header.indexOf(name) !== i);
  if (repeated !== undefined) issues.push({ file, field, message: `the header names the column "${repeated}" twice` });
  if (csv.ids.length === 0) issues.push({ file, field, message: 'has a header but no rows' });
  if (csv.duplicate) {
    const d = csv.duplicate;
    issues.push({ file, field, message: `the id "${d.id}" appears twice (lines ${d.firstLine} and ${d.line})` });
  }
  if (csv.emptyIdLine !== undefined) issues.push({ file, field, message: `line ${csv.emptyIdLine} has an empty id` });
  return issues;
}

interface LabelsCheck {
  file: string;
  field: string;
  idColumn: string;
  /** The format's target columns and ids, when the format could be read. */
  format?: { targets: string[]; ids: string[] };
  split?: ColumnSplit;
  /** Whether both leaderboards need rows (the real labels, not a smoke sample). */
  bothParts: boolean;
  /** The labels must hold the format's target columns: built-in metrics compare them (a scoring program reads what it likes). */
  needsTargets: boolean;
}

function labelIssues(csv: CsvSummary, c: LabelsCheck): BundleIssue[] {
  const issues = idIssues(csv, c.file, c.field, c.idColumn);
  const add = (field: string, message: string) => issues.push({ file: c.file, field, message });
  for (const target of c.needsTargets ? (c.format?.targets ?? []) : []) {
    if (!csv.header.includes(target)) add(c.field, `lacks the column "${target}" of the submission format (header: ${csv.header.join(',')})`);
  }
  if (c.format) {
    const have = new Set(csv.ids);
    const want = new Set(c.format.ids);
    const missing = c.format.ids.filter((id) => !have.has(id));
    const extra = csv.ids.filter((id) => !want.has(id));
    if (missing.length > 0) add(c.field, `lacks ${missing.length} id(s) of the submission format, e.g. ${examples(missing)}`);
    if (extra.length > 0) add(c.field, `has ${extra.length} id(s) that are not in the submission format, e.g. ${examples(extra)}`);
  }
  const split = c.split;
  if (!split) return issues;
  if (!csv.header.includes(split.column)) {
    add('scoring.split.column', `has no "${split.column}" column to split public from private rows; add it, or use a seeded split (scoring.split: { seed, public_fraction })`);
    return issues;
  }
  const allowed = [split.publicValue, split.privateValue];
  for (const [value, line] of csv.values) {
    if (!allowed.includes(value)) add('scoring.split', `the column "${split.column}" has the value "${value}" (line ${line}); expected "${split.publicValue}" or "${split.privateValue}"`);
  }
  if (c.bothParts && csv.ids.length > 0) {
    for (const value of allowed) {
      if (!csv.values.has(value)) add('scoring.split', `no row has "${value}" in the column "${split.column}": that leaderboard would be empty`);
    }
  }
  return issues;
}

/** The parts of a bundle the CSV checks need; `scoring` is absent when that section is invalid. */
export interface CsvCheckInput {
  root: string;
  data: DataConfig;
  idColumn: string;
  scoring?: ScoringConfig;
  /** Data paths that exist with the right kind; the others were already reported. */
  ok: ReadonlySet<string>;
}

/**
 * Reads the submission format(s) and labels and checks them against each other and the
 * config: id column first, every target column present, the same ids, valid split values,
 * metric columns that exist.
 */
export async function checkCsvFiles(input: CsvCheckInput): Promise<BundleIssue[]> {
  const { data, idColumn, scoring } = input;
  const issues: BundleIssue[] = [];
  const read = async (file: string | undefined, field: string, valuesOf?: string): Promise<CsvSummary | undefined> => {
    if (file === undefined || !input.ok.has(file)) return undefined;
    try {
      return await summariseCsv(path.join(input.root, file), valuesOf);
    } catch (err) {
      if (!(err instanceof CsvError)) throw err;
      issues.push({ file, field, message: err.message });
      return undefined;
    }
  };
  const split = scoring?.split.kind === 'column' ? scoring.split : undefined;
  const needsTargets = scoring?.program === undefined;

  const formatFile = data.submissionFormat ?? '';
  const format = await read(data.submissionFormat, 'data.submission_format');
  let formatInfo: LabelsCheck['format'];
  if (format) {
    issues.push(...idIssues(format, formatFile, 'data.submission_format', idColumn));
    if (format.header.length < 2) {
      issues.push({ file: formatFile, field: 'data.submission_format', message: 'has no column to predict: expected the id column, then one or more target columns' });
    }
    formatInfo = { targets: format.header.slice(1), ids: format.ids };
    const metrics: Array<[string, MetricSpec]> = scoring
      ? [['scoring.primary', scoring.primary], ...scoring.extra.map((m, i): [string, MetricSpec] => [`scoring.extra[${i}]`, m])]
      : [];
    for (const [field, m] of metrics) {
      if (m.column !== undefined && !formatInfo.targets.includes(m.column)) {
        issues.push({ file: 'competition.yaml', field: `${field}.column`, message: `"${m.column}" is not a target column of the submission format (${formatInfo.targets.join(', ')})` });
      }
      for (const column of m.columns ?? []) {
        if (!formatInfo.targets.includes(column)) {
          issues.push({ file: 'competition.yaml', field: `${field}.columns`, message: `"${column}" is not a target column of the submission format (${formatInfo.targets.join(', ')})` });
        }
      }
    }
  }
  const labels = await read(data.labels, 'data.labels', split?.column);
  if (labels) {
    issues.push(...labelIssues(labels, { file: data.labels, field: 'data.labels', idColumn, ...(formatInfo ? { format: formatInfo } : {}), ...(split ? { split } : {}), bothParts: true, needsTargets }));
  }

  if (data.smoke) {
    const smokeFormat = await read(data.smoke.submissionFormat, 'data.smoke.submission_format');
    let smokeInfo: LabelsCheck['format'];
    if (smokeFormat) {
      issues.push(...idIssues(smokeFormat, data.smoke.submissionFormat, 'data.smoke.submission_format', idColumn));
      if (format && smokeFormat.header.join(',') !== format.header.join(',')) {
        issues.push({ file: data.smoke.submissionFormat, field: 'data.smoke.submission_format', message: `has the header "${smokeFormat.header.join(',')}"; expected the submission format's "${format.header.join(',')}"` });
      }
      smokeInfo = { targets: smokeFormat.header.slice(1), ids: smokeFormat.ids };
    }
    const smokeLabels = await read(data.smoke.labels, 'data.smoke.labels', split?.column);
    if (smokeLabels) {
      // Smoke runs are scored like full runs, so their labels need the split column too.
      issues.push(...labelIssues(smokeLabels, { file: data.smoke.labels, field: 'data.smoke.labels', idColumn, ...(smokeInfo ? { format: smokeInfo } : {}), ...(split ? { split } : {}), bothParts: false, needsTargets }));
    }
  }
  return issues;
}
