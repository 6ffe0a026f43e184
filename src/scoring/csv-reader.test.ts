import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CsvError, parse } from 'csv-parse/sync';
import { CsvSyntaxError, maxRecordBytes, readCsv } from './csv-reader.js';
import { seededRandom } from '../../test/helpers/seeded-random.js';

const root = mkdtempSync(join(tmpdir(), 'holdout-csv-'));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;

interface Read {
  records: Array<{ fields: string[]; line: number; raw: string }>;
  error?: { code: string; message: string };
}

/** What readCsv makes of `text`, read `chunkBytes` at a time. */
async function readText(text: string | Buffer, chunkBytes?: number): Promise<Read> {
  const file = join(root, `case-${files++}.csv`);
  writeFileSync(file, text);
  const handle = await open(file, 'r');
  const read: Read = { records: [] };
  try {
    const { size } = await handle.stat();
    await readCsv(
      handle,
      size,
      (row) => read.records.push({ fields: row.texts(), line: row.line, raw: row.source.toString('utf8', row.recordStart, row.recordEnd) }),
      chunkBytes === undefined ? {} : { chunkBytes },
    );
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    read.error = { code: error.code, message: error.message };
  } finally {
    await handle.close();
  }
  return read;
}

/** What csv-parse, the reference, makes of `text`, with the options the scorer used to give it. */
function reference(text: string): Read {
  try {
    const rows = parse(text, { bom: true, relax_column_count: true, max_record_size: maxRecordBytes, info: true }) as unknown as Array<{
      record: string[];
      info: { lines: number };
    }>;
    const records = rows
      .filter(({ record }) => !(record.length === 1 && record[0] === ''))
      .map(({ record, info }) => ({ fields: record, line: info.lines, raw: '' }));
    return { records };
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    return { records: [], error: { code: error.code, message: error.message } };
  }
}

/**
 * Asserts that readCsv agrees with csv-parse on `text`, whatever the chunk size.
 * @param exactLines - compare line numbers in errors; false where csv-parse's drift (a quoted \r\n
 * counts as two lines there) would show.
 */
async function assertAgrees(text: string, exactLines = true): Promise<void> {
  const expected = reference(text);
  const mask = (error: Read['error']) =>
    error === undefined || exactLines ? error : { ...error, message: error.message.replace(/line \d+/g, 'line N') };
  for (const chunkBytes of [undefined, 1, 2, 5, 64]) {
    const got = await readText(text, chunkBytes);
    const what = `${JSON.stringify(text)} in chunks of ${chunkBytes ?? 'default'}`;
    assert.deepEqual(mask(got.error), mask(expected.error), what);
    if (expected.error !== undefined) continue;
    assert.deepEqual(got.records.map((r) => r.fields), expected.records.map((r) => r.fields), what);
    // csv-parse gives the line a record ends on, readCsv the line it starts on: equal for records
    // on one line. After a quoted line end csv-parse's count drifts (it counts a quoted \r\n twice).
    for (const [i, record] of got.records.entries()) {
      if (record.fields.some((field) => field.includes('\n'))) break;
      assert.equal(record.line, expected.records[i]?.line, what);
    }
  }
}

describe('readCsv', () => {
  it('reads plain, quoted and awkward CSV as csv-parse does', async () => {
    const cases = [
      'id,prob\na,0.9\nb,0.2\n',
      'id,prob\na,0.9\nb,0.2',
      'id,prob\r\na,0.9\r\n\r\nb,0.2\r\n',
      '\ufeffid,prob\na,1\n',
      '\n\nid,prob\n\n\na,1\n\n',
      '"id","prob"\n"a",0.9\n"b,c",0.2\n',
      'id,text\na,"say ""hi"""\nb,""\nc,"two\nlines"\nd,"crlf\r\ninside"\ne,3\n',
      'id,text\r\na,"x"\r\nb,"y"',
      'α,日本\n😀,"é,è"\n',
      'a,,b,\n,,\n',
      ' a , b \n',
      // Malformed: csv-parse's own errors, with lines counted from the start of the file.
      'id,prob\na,"0.9\nb,0.2\n',
      'id,prob\na,0.9\nb,x"y\n',
      'id,prob\na,"x"y\n',
      'id,prob\na,"x" \n',
      'id,text\na,"two\nlines"\nb,ok\nc,"x"y,2\n',
      'id,prob\na,"x"\rb\n',
      '"',
      'a,b\n"c',
    ];
    for (const text of cases) await assertAgrees(text);
  });

  it('agrees with csv-parse on random CSV', async () => {
    const next = seededRandom(7);
    const pieces = ['a', 'b1', '0.5', '', ' ', ',', ',', '"', '""', '"x,y"', '"p\nq"', '\n', '\n', 'é'];
    for (let n = 0; n < 300; n++) {
      let text = '';
      const length = 1 + Math.floor(next() * 14);
      for (let k = 0; k < length; k++) text += pieces[Math.floor(next() * pieces.length)];
      // One line ending per file: mixing them is where the two differ by design (see readCsv).
      const crlf = next() < 0.3;
      await assertAgrees(crlf ? text.replaceAll('\n', '\r\n') : text, !crlf);
    }
  });

  it('treats a lone carriage return as data and \\r\\n as a line end, unlike a mixed-file csv-parse', async () => {
    const { records } = await readText('id,v\r\na,1\rb\nc,2\r\n');
    assert.deepEqual(records.map((r) => r.fields), [['id', 'v'], ['a', '1\rb'], ['c', '2']]);
    for (const text of ['id,v\na,"1"\r', 'id,v\na,1\r']) {
      assert.deepEqual((await readText(text)).records.map((r) => r.fields), [['id', 'v'], ['a', '1']], JSON.stringify(text));
    }
  });

  it('gives each record its first physical line and its raw text', async () => {
    const { records } = await readText('id,t\n\na,"x\ny"\nb,"q""r"\r\n');
    assert.deepEqual(records.map((r) => [r.line, r.raw]), [[1, 'id,t'], [3, 'a,"x\ny"'], [5, 'b,"q""r"']]);
  });

  it('refuses a record longer than the limit, naming its line', async () => {
    const long = `id,v\na,${'1'.repeat(maxRecordBytes + 10)}\nb,2\n`;
    const { error } = await readText(long);
    assert.equal(error?.code, 'CSV_MAX_RECORD_SIZE');
    assert.match(error?.message ?? '', /at line 2$/);
    const quoted = await readText(`id,v\na,"${'1'.repeat(maxRecordBytes + 10)}"\n`);
    assert.equal(quoted.error?.code, 'CSV_MAX_RECORD_SIZE');
  });
});
