/**
 * A Codabench (version 2) competition.yaml turned into a Holdout one. Pure: what to write, which
 * pages to join into the overview, and a note for everything Holdout cannot express.
 */

type Yaml = Record<string, unknown>;

/** What the importer writes: the Holdout competition.yaml (as an object), the overview, the notes. */
export interface Conversion {
  yaml: Yaml;
  /** Files of the Codabench bundle joined into overview.md, each under its heading, in order. */
  pages: Array<{ title: string; file?: string; text?: string }>;
  /** Folders of the example submissions (Codabench's `solutions`). */
  solutions: string[];
  /**
   * The ingestion program the code phases run with, when any does: the importer reads its
   * metadata.yaml and makes it the harness (see codabench-harness.ts).
   */
  ingestion?: string;
  /** One line per thing not carried over, or carried over differently; read them before publishing. */
  notes: string[];
}

/** Problems that stop the import: the file is not a Codabench competition we can read. */
export class CodabenchError extends Error {}

const isMap = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const folder = (v: unknown): string | undefined => text(v)?.replace(/^\.\//, '').replace(/\/+$/, '');

/**
 * Codabench dates: `M-D-YYYY` (as its examples write them), `YYYY-MM-DD`, or a date-time; the
 * `yaml` library may already have made a Date.
 */
export function codabenchDate(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  const s = text(value) ?? (typeof value === 'number' ? String(value) : undefined);
  if (s === undefined) return undefined;
  const mdy = /^(\d{1,2})-(\d{1,2})-(\d{4})$/.exec(s);
  const iso = mdy ? `${mdy[3]}-${mdy[1]!.padStart(2, '0')}-${mdy[2]!.padStart(2, '0')}` : s;
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(iso) ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(date.getTime())) return undefined;
  if (mdy && date.toISOString().slice(0, 10) !== iso) return undefined; // 2-30-2026
  return date.toISOString();
}

/** A slug from a title: lowercase words joined by "-", 3 to 40 characters. */
export function slugOf(title: string): string {
  const slug = title.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
  return slug.length >= 3 ? slug : `competition-${slug}`.replace(/-+$/, '');
}

/** Top-level keys the conversion reads; any other is named in a note. */
const handled = new Set(['version', 'title', 'description', 'image', 'registration_auto_approve', 'docker_image', 'terms', 'pages', 'tasks', 'solutions', 'phases', 'leaderboards']);

export function convertCodabench(source: unknown): Conversion {
  if (!isMap(source)) throw new CodabenchError('competition.yaml: expected a mapping of settings');
  const version = source['version'];
  if (version !== 2 && version !== '2') {
    throw new CodabenchError(`competition.yaml: version ${JSON.stringify(version ?? null)}; only Codabench's version 2 is imported (CodaLab's version 1 has no tasks: re-save it in Codabench first)`);
  }
  const notes: string[] = [];
  const title = text(source['title']) ?? 'Imported competition';
  if (source['title'] === undefined) notes.push('title: none given; "Imported competition" used');
  for (const key of Object.keys(source)) if (!handled.has(key)) notes.push(`${key}: not read (Holdout has no such setting)`);
  if (source['image'] !== undefined) notes.push('image: the logo is not shown (Holdout pages have none)');
  if (source['registration_auto_approve'] !== undefined) notes.push('registration_auto_approve: Holdout has no registration approval; anyone signed in may take part after accepting the rules');
  const docker = text(source['docker_image']);
  if (docker) notes.push(`docker_image ${docker}: not pulled (this host reaches no public registry); runs use "runtime: host", or set runtime: { image: … } to a copy in your registry`);

  const pages: Conversion['pages'] = [{ title: 'Overview', text: text(source['description']) ?? title }];
  for (const [i, page] of list(source['pages']).entries()) {
    const file = isMap(page) ? text(page['file']) : undefined;
    if (!isMap(page) || file === undefined) notes.push(`pages[${i}]: no file; left out`);
    else pages.push({ title: text(page['title']) ?? file, file });
  }
  const terms = text(source['terms']);
  if (terms) pages.push({ title: 'Terms', file: terms });

  const tasks = new Map<number, Yaml>();
  for (const [i, task] of list(source['tasks']).entries()) {
    if (!isMap(task)) throw new CodabenchError(`competition.yaml: tasks[${i}]: expected a mapping`);
    tasks.set(typeof task['index'] === 'number' ? task['index'] : i, task);
  }
  const scoring = scoringOf(source, tasks, notes);
  const ingestions: string[] = [];
  const phases = list(source['phases']).map((p, i) => phaseOf(p, i, tasks, notes, ingestions));
  const ingestion = ingestions[0];
  const others = [...new Set(ingestions)].filter((f) => f !== ingestion);
  if (others.length > 0) notes.push(`tasks: ${others.length + 1} ingestion programs; every phase runs with the first ("${ingestion}"), a harness being the competition's`);
  if (phases.length === 0) throw new CodabenchError('competition.yaml: phases: none; a competition needs at least one');
  const base = phases[0]!.data as Yaml;
  for (const p of phases) if (JSON.stringify(p.data) === JSON.stringify(base)) delete p.data;
  const solutions = [...new Set(list(source['solutions']).flatMap((s) => (isMap(s) && folder(s['path']) ? [folder(s['path']) as string] : [])))];
  if (solutions.length > 0) {
    const paths = solutions;
    notes.push(`solutions: example submissions, kept in the bundle (${[...new Set(paths)].join(', ')}); zip one and submit it to check the competition end to end`);
  }
  const yaml: Yaml = {
    slug: slugOf(title),
    title,
    description: 'overview.md',
    runtime: 'host',
    data: base,
    scoring,
    phases,
  };
  return { yaml, pages, notes, solutions, ...(ingestion === undefined ? {} : { ingestion }) };
}

/** The scoring program (raw: Codabench's layout) and the leaderboard's columns as metrics. */
function scoringOf(source: Yaml, tasks: Map<number, Yaml>, notes: string[]): Yaml {
  const programs = new Set([...tasks.values()].map((t) => folder(t['scoring_program'])).filter((p) => p !== undefined));
  if (programs.size === 0) throw new CodabenchError('competition.yaml: tasks: no scoring_program; Holdout scores with the competition\'s Codabench scoring program');
  if (programs.size > 1) notes.push(`tasks: ${programs.size} scoring programs; every phase is scored with the first ("${[...programs][0]}")`);
  const boards = list(source['leaderboards']).filter(isMap);
  if (boards.length > 1) notes.push(`leaderboards: ${boards.length}; their columns are joined into one leaderboard`);
  const columns = boards
    .flatMap((b) => list(b['columns']).filter(isMap))
    .sort((a, b) => (Number(a['index'] ?? 0) - Number(b['index'] ?? 0)));
  const metrics = columns.flatMap((c) => {
    const key = text(c['key']);
    if (key === undefined) return [];
    const sorting = text(c['sorting']) ?? 'desc';
    if (c['computation'] !== undefined) notes.push(`leaderboards column "${key}": computation ${String(c['computation'])} is not done; the scoring program's value is shown`);
    return [{ metric: key, higher_is_better: sorting !== 'asc' }];
  });
  for (const b of boards) {
    const rule = text(b['submission_rule']);
    if (rule && rule !== 'Force_Last') notes.push(`leaderboards "${String(b['key'] ?? '')}": submission_rule ${rule}; Holdout ranks each participant's best submission`);
    else if (rule) notes.push(`leaderboards "${String(b['key'] ?? '')}": submission_rule Force_Last; Holdout ranks each participant's best submission, not the last`);
  }
  if (metrics.length === 0) throw new CodabenchError('competition.yaml: leaderboards: no column with a key; the first column becomes the primary metric');
  const [primary, ...extra] = metrics;
  return { primary, ...(extra.length ? { extra } : {}), program: { path: `${[...programs][0]}/`, input: 'raw' } };
}

/** One Codabench phase: window, quotas, its task's data, and code (its ingestion program added to `ingestions`) or results. */
function phaseOf(p: unknown, i: number, tasks: Map<number, Yaml>, notes: string[], ingestions: string[]): Yaml & { data?: Yaml } {
  const where = `phases[${i}]`;
  if (!isMap(p)) throw new CodabenchError(`competition.yaml: ${where}: expected a mapping`);
  const name = text(p['name']) ?? `Phase ${i + 1}`;
  const start = codabenchDate(p['start']);
  if (start === undefined) throw new CodabenchError(`competition.yaml: ${where}.start: ${JSON.stringify(p['start'] ?? null)} is not a date (M-D-YYYY, YYYY-MM-DD or a date-time)`);
  const end = p['end'] === undefined || p['end'] === null ? undefined : codabenchDate(p['end']);
  if (p['end'] !== undefined && p['end'] !== null && end === undefined) throw new CodabenchError(`competition.yaml: ${where}.end: ${JSON.stringify(p['end'])} is not a date`);
  const ids = list(p['tasks']).map(Number);
  if (ids.length !== 1) notes.push(`${where} "${name}": ${ids.length} tasks; the first is used${ids.length === 0 ? ' (none: task 0)' : ''}`);
  const task = tasks.get(ids[0] ?? 0);
  if (task === undefined) throw new CodabenchError(`competition.yaml: ${where}.tasks: no task with index ${ids[0] ?? 0}`);
  const labels = folder(task['reference_data']);
  if (labels === undefined) throw new CodabenchError(`competition.yaml: task ${ids[0] ?? 0}: no reference_data to score against`);
  const features = folder(task['input_data']);
  const ingestion = folder(task['ingestion_program']);
  const code = ingestion !== undefined;
  if (code) ingestions.push(ingestion);
  const publicData = [folder(p['public_data']), folder(p['starting_kit'])].filter((x) => x !== undefined);
  const data: Yaml = { ...(publicData.length ? { public: publicData.map((x) => `${x}/`) } : {}), labels: `${labels}/`, ...(features ? { test_features: `${features}/` } : {}) };
  if (text(p['description'])) notes.push(`${where} "${name}": its description is not shown (phases have none in Holdout)`);
  const limit = p['execution_time_limit'];
  return {
    name,
    start,
    ...(end ? { end } : {}),
    ...(typeof p['max_submissions_per_day'] === 'number' ? { daily_quota: p['max_submissions_per_day'] } : {}),
    ...(typeof p['max_submissions'] === 'number' ? { total_quota: p['max_submissions'] } : {}),
    submission: code ? 'code' : 'results',
    ...(typeof limit === 'number' && limit > 0 ? { limits: { wall_time: `${limit}s` } } : {}),
    data,
  };
}
