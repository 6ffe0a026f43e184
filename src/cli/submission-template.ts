/** What the scaffolded main.py is written for. */
export interface TemplateInput {
  slug: string;
  title: string;
  entrypoint: string;
  idColumn: string;
  /** The predicted columns, in the submission format's order (the id column left out). */
  columns: string[];
  /** A valid value per predicted column (from the format's first row), written until a model exists. */
  placeholders: string[];
  predictionsFile: string;
}

/** A Python string literal. Pure. */
function py(value: string): string {
  return JSON.stringify(value);
}

/** Text safe inside a Python docstring: no quotes that could end it, no backslash escapes. Pure. */
function doc(value: string): string {
  return value.replace(/\\/g, '/').replace(/"/g, "'");
}

/**
 * A main.py that runs as it is: it reads every CSV of HOLDOUT_DATA, writes one prediction per id
 * to HOLDOUT_OUTPUT/<predictions file> in the submission format, and uses only the standard
 * library, so it runs in any runtime. Pure.
 */
export function mainPyTemplate(t: TemplateInput): string {
  const columns = `[${t.columns.map(py).join(', ')}]`;
  const placeholders = `{${t.columns.map((c, i) => `${py(c)}: ${py(t.placeholders[i] ?? '0')}`).join(', ')}}`;
  return `"""Submission for "${doc(t.title)}" (Holdout competition ${t.slug}).

The platform runs \`${doc(t.entrypoint)}\` in this folder with no network. It reads the test features
from HOLDOUT_DATA (read-only) and writes its predictions to HOLDOUT_OUTPUT/${doc(t.predictionsFile)}, one
row per id, with the columns of the submission format. HOLDOUT_SMOKE is "1" in a smoke run (the
small public sample that "holdout test-submission" and "holdout submit --smoke" use).
"""

import csv
import os
from pathlib import Path

DATA_DIR = Path(os.environ.get("HOLDOUT_DATA", "/code_execution/data"))
OUTPUT_DIR = Path(os.environ.get("HOLDOUT_OUTPUT", "/code_execution/submission"))
SMOKE = os.environ.get("HOLDOUT_SMOKE") == "1"

ID_COLUMN = ${py(t.idColumn)}
COLUMNS = ${columns}
PREDICTIONS_FILE = ${py(t.predictionsFile)}


def predict(row: dict) -> dict:
    """Predicts the COLUMNS of one row of features. Replace this with your model."""
    return ${placeholders}


def main() -> None:
    files = sorted(DATA_DIR.glob("*.csv"))
    print(f"{'smoke run: ' if SMOKE else ''}reading {[f.name for f in files]} from {DATA_DIR}")
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    written = 0
    with (OUTPUT_DIR / PREDICTIONS_FILE).open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([ID_COLUMN, *COLUMNS])
        for path in files:
            with path.open(newline="") as f:
                for row in csv.DictReader(f):
                    prediction = predict(row)
                    writer.writerow([row[ID_COLUMN], *(prediction[c] for c in COLUMNS)])
                    written += 1
    print(f"wrote {written} predictions to {OUTPUT_DIR / PREDICTIONS_FILE}")


if __name__ == "__main__":
    main()
`;
}

/** The README of a scaffolded folder: the commands, in order. Pure. */
export function readmeTemplate(t: Pick<TemplateInput, 'slug' | 'title'>, dir: string, hasSmoke: boolean): string {
  return `# My submission to "${t.title}"

\`main.py\` runs on the platform; put your model files beside it (they are zipped with it).

\`\`\`sh
holdout download ${t.slug}                 # training data${hasSmoke ? ' and the smoke sample' : ''}
holdout pack ${dir}                        # checks this folder, writes submission.zip
${hasSmoke ? `holdout test-submission submission.zip --competition ${t.slug}   # runs it locally like the platform\n` : ''}holdout submit submission.zip --competition ${t.slug}${hasSmoke ? ' --smoke' : ''}
\`\`\`
`;
}
