import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { exitCodeFor, parseEventBlock } from '../../src/cli/api-client.js';
import { formatBytes, formatTable } from '../../src/cli/cli-output.js';
import { painter, wantsColour } from '../../src/cli/colour.js';
import { isSafeRelativePath } from '../../src/cli/download-files.js';
import { CliError, exitCodes } from '../../src/cli/exit-codes.js';
import { fileReader } from '../../src/cli/resumable-upload.js';
import { describeFailure, formatScores } from '../../src/cli/submission-summary.js';
import { mainPyTemplate } from '../../src/cli/submission-template.js';
import { configDir, normalizeServer } from '../../src/cli/user-config.js';

describe('CLI building blocks', () => {
  it('maps API answers to exit codes', () => {
    assert.equal(exitCodeFor(401, 'bad_credentials'), exitCodes.auth);
    assert.equal(exitCodeFor(403, 'rules_not_accepted'), exitCodes.refused);
    assert.equal(exitCodeFor(404, 'not_found'), exitCodes.notFound);
    assert.equal(exitCodeFor(400, 'invalid_archive'), exitCodes.invalidInput);
    assert.equal(exitCodeFor(413, 'payload_too_large'), exitCodes.invalidInput);
    assert.equal(exitCodeFor(429, 'quota_exceeded'), exitCodes.refused);
    assert.equal(exitCodeFor(409, 'not_open'), exitCodes.refused);
    assert.equal(exitCodeFor(500, 'internal'), exitCodes.failure);
  });

  it('parses server-sent event blocks', () => {
    assert.deepEqual(parseEventBlock('event: status\ndata: {"a":1}'), { event: 'status', data: '{"a":1}' });
    assert.deepEqual(parseEventBlock('event: log\ndata: line 1\ndata: line 2\ndata: '), { event: 'log', data: 'line 1\nline 2\n' });
    assert.equal(parseEventBlock(': a comment'), undefined);
  });

  it('accepts only relative download paths that stay inside the folder', () => {
    assert.ok(isSafeRelativePath('train/train_features.csv'));
    for (const bad of ['', '/etc/passwd', '../x', 'a/../../x', 'a//b', 'a\\b', './a']) assert.equal(isSafeRelativePath(bad), false, bad);
  });

  it('formats sizes, tables, scores and failures for people', () => {
    assert.equal(formatBytes(512), '512 bytes');
    assert.equal(formatBytes(3 * 1024 * 1024), '3 MiB');
    assert.equal(formatBytes(1.25 * 1024 ** 3), '1.25 GiB');
    assert.equal(formatTable(['a', 'bb'], [['xxx', 'y']]), 'a    bb\nxxx  y');
    assert.equal(formatScores({ f1_macro: 0.5, accuracy: 0.75 }, 'accuracy'), 'accuracy 0.7500, f1_macro 0.5000');
    assert.match(describeFailure('timeout', 'stopped after 2 min'), /^timeout: stopped after 2 min\n {2}The run passed the time limit/);
  });

  it('checks server URLs and finds the config folder', () => {
    assert.equal(normalizeServer('http://localhost:8080/'), 'http://localhost:8080');
    assert.throws(() => normalizeServer('localhost:8080'), (e: unknown) => e instanceof CliError && e.exitCode === exitCodes.usage);
    assert.equal(configDir({ XDG_CONFIG_HOME: '/x/cfg' }), '/x/cfg/holdout');
    assert.match(configDir({ XDG_CONFIG_HOME: 'relative' }), /\.config\/holdout$/, 'a relative XDG_CONFIG_HOME is ignored, as the spec says');
  });

  it('writes a main.py in the submission format, quoting names safely', () => {
    const py = mainPyTemplate({ slug: 's', title: 'T "quoted"', entrypoint: 'python main.py', idColumn: 'id', columns: ['a"b', 'c'], placeholders: ['0'], predictionsFile: 'submission.csv' });
    assert.match(py, /COLUMNS = \["a\\"b", "c"\]/);
    assert.match(py, /return \{"a\\"b": "0", "c": "0"\}/);
    assert.match(py, /^"""Submission for "T 'quoted'"/);
  });

  it('colours only a terminal, never with NO_COLOR, always with FORCE_COLOR; colour never counts as width', () => {
    assert.equal(wantsColour({ env: {}, isTTY: true }), true);
    assert.equal(wantsColour({ env: {}, isTTY: false }), false);
    assert.equal(wantsColour({ env: { NO_COLOR: '1' }, isTTY: true }), false);
    assert.equal(wantsColour({ env: { NO_COLOR: '1', FORCE_COLOR: '1' }, isTTY: false }), false);
    assert.equal(wantsColour({ env: { FORCE_COLOR: '1' }, isTTY: false }), true);
    assert.equal(wantsColour({ env: { FORCE_COLOR: '0' }, isTTY: true }), true);
    assert.equal(wantsColour({ env: { TERM: 'dumb' }, isTTY: true }), false);
    const red = painter({ isTTY: false }, { FORCE_COLOR: '1' });
    const table = formatTable(['a', 'status'], [['x', 'failed'], ['long', 'ok']], (p, cell) => (cell === 'failed' ? red(p, 'red') : p));
    assert.equal(table.replace(/\u001b\[\d+m/g, ''), formatTable(['a', 'status'], [['x', 'failed'], ['long', 'ok']]));
    assert.match(table, /\u001b\[31mfailed\u001b\[0m/);
  });

  it('reads an upload\'s slices of the file: the bytes asked for, their length for Content-Length, done at the end', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'holdout-slices-'));
    try {
      const file = path.join(dir, 'submission.zip');
      const bytes = Buffer.from(Array.from({ length: (3 << 20) + 5 }, (_, i) => (i * 7) % 251));
      await writeFile(file, bytes);
      const source = await fileReader.openFile(createReadStream(file), 2 << 20);
      assert.equal(source.size, bytes.length);
      const read = async (start: number, end: number) => {
        const { value, done } = await source.slice(start, end);
        const chunks: Buffer[] = [];
        for await (const chunk of value as Readable) chunks.push(chunk as Buffer);
        return { body: Buffer.concat(chunks), size: (value as { size?: number }).size, done };
      };
      const first = await read(0, 2 << 20);
      assert.deepEqual([first.size, first.done], [2 << 20, false]);
      assert.ok(first.body.equals(bytes.subarray(0, 2 << 20)));
      // A resumed upload starts where the server's offset is, anywhere in the file.
      const rest = await read(12345, 12345 + (4 << 20));
      assert.deepEqual([rest.size, rest.done], [bytes.length - 12345, true]);
      assert.ok(rest.body.equals(bytes.subarray(12345)));
      assert.deepEqual(await read(bytes.length, bytes.length + 10), { body: Buffer.alloc(0), size: undefined, done: true });
      source.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
