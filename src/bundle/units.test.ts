import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseIsoDate } from './fields.js';
import { splitCommand } from '../domain/split-command.js';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.js';

describe('parseDuration', () => {
  test('reads single and combined units', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1h 30m 5s'), 5_405_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2m30s250ms'), 150_250);
    assert.equal(parseDuration(' 0s '), 0);
  });

  test('rejects text that is not a duration', () => {
    for (const text of ['', '90', 'forever', '10 minutes', '30m1h', '1h1h', '1m-5s', '-1m', '1.m', 'm', '10mx']) {
      assert.equal(parseDuration(text), undefined, text);
    }
  });

  test('formats what it parses', () => {
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(1500), '1s500ms');
    assert.equal(formatDuration(0), '0s');
    for (const ms of [1, 999, 60_000, 3_723_004, 360_000_000]) assert.equal(parseDuration(formatDuration(ms)), ms);
  });
});

describe('parseSize', () => {
  test('reads binary and decimal units, ignoring case', () => {
    assert.equal(parseSize('2GiB'), 2 * 1024 ** 3);
    assert.equal(parseSize('512MiB'), 512 * 1024 ** 2);
    assert.equal(parseSize('1GB'), 1e9);
    assert.equal(parseSize('1gb'), 1e9);
    assert.equal(parseSize('1.5 GiB'), 1.5 * 1024 ** 3);
    assert.equal(parseSize('100Mi'), 100 * 1024 ** 2);
    assert.equal(parseSize('64KiB'), 65_536);
    assert.equal(parseSize('10B'), 10);
    assert.equal(parseSize('1.5B'), 1);
  });

  test('rejects text that is not a size', () => {
    for (const text of ['', '2', 'lots', '2 gigs', 'GiB', '-1GiB', '1e3MB', '2GiBs', '1PiB', '99999999TiB']) {
      assert.equal(parseSize(text), undefined, text);
    }
  });

  test('formats with the largest binary unit', () => {
    assert.equal(formatSize(2 * 1024 ** 3), '2GiB');
    assert.equal(formatSize(1.5 * 1024 ** 3), '1.5GiB');
    assert.equal(formatSize(100 * 1024 ** 2), '100MiB');
    assert.equal(formatSize(512), '512B');
    assert.equal(formatSize(0), '0B');
    for (const bytes of [1024, 10 * 1024 ** 2, 3 * 1024 ** 4]) assert.equal(parseSize(formatSize(bytes)), bytes);
  });
});

describe('splitCommand', () => {
  test('splits on blanks and honours quotes and escapes', () => {
    assert.deepEqual(splitCommand('python main.py'), { ok: true, argv: ['python', 'main.py'] });
    assert.deepEqual(splitCommand(`  python3 "my main.py" --name 'a b'  `), { ok: true, argv: ['python3', 'my main.py', '--name', 'a b'] });
    assert.deepEqual(splitCommand(String.raw`run a\ b "say \"hi\"" '' x`), { ok: true, argv: ['run', 'a b', 'say "hi"', '', 'x'] });
    assert.deepEqual(splitCommand(`echo '$HOME' *`), { ok: true, argv: ['echo', '$HOME', '*'] });
  });

  test('refuses unterminated quotes and empty commands', () => {
    assert.deepEqual(splitCommand(`python 'main.py`), { ok: false, message: 'has an unterminated single quote' });
    assert.deepEqual(splitCommand('python "main.py'), { ok: false, message: 'has an unterminated double quote' });
    assert.deepEqual(splitCommand('   '), { ok: false, message: 'is empty' });
    assert.deepEqual(splitCommand('python \\'), { ok: false, message: 'ends with a lone backslash' });
  });
});

describe('parseIsoDate', () => {
  test('reads dates as midnight UTC and honours offsets', () => {
    assert.deepEqual(parseIsoDate('2026-01-01'), new Date('2026-01-01T00:00:00Z'));
    assert.deepEqual(parseIsoDate('2026-01-01T12:30'), new Date('2026-01-01T12:30:00Z'));
    assert.deepEqual(parseIsoDate('2026-01-01T12:30:15.5Z'), new Date('2026-01-01T12:30:15.500Z'));
    assert.deepEqual(parseIsoDate('2026-01-01T12:00:00+02:00'), new Date('2026-01-01T10:00:00Z'));
    assert.deepEqual(parseIsoDate('2026-01-01 12:00:00-0130'), new Date('2026-01-01T13:30:00Z'));
  });

  test('rejects impossible and malformed dates', () => {
    for (const text of ['2026-02-30', '2026-13-01', '2026-01-01T24:00', '01/02/2026', '2026-1-1', 'tomorrow', '']) {
      assert.equal(parseIsoDate(text), undefined, text);
    }
  });
});
