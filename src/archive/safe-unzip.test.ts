import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { rawZip, type RawEntry } from '../../test/helpers/raw-zip.js';
import { ArchiveError, checkEntryPoint, extractZip, inspectZip } from './safe-unzip.js';
import { zipFolder } from './zip-folder.js';

const limits = { maxBytes: 1 << 20, maxFiles: 50 };

async function zipOf(entries: RawEntry[] | Buffer): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdout-zip-'));
  const file = path.join(dir, 'submission.zip');
  await writeFile(file, Buffer.isBuffer(entries) ? entries : rawZip(entries));
  return file;
}

async function refused(entries: RawEntry[] | Buffer, message: RegExp): Promise<void> {
  const file = await zipOf(entries);
  const dest = await mkdtemp(path.join(tmpdir(), 'holdout-out-'));
  await assert.rejects(extractZip(file, dest, limits), (err: unknown) => err instanceof ArchiveError && message.test(err.message));
  // Nothing outside the destination, and not even a partial file for the refused entry.
  assert.ok(!(await readdir(path.dirname(dest))).includes('evil.txt'));
}

describe('extractZip', () => {
  it('unpacks a normal zip made by a real zip writer', async () => {
    const src = await mkdtemp(path.join(tmpdir(), 'holdout-src-'));
    await writeFile(path.join(src, 'main.py'), 'print(1)\n');
    const out = path.join(src, '..', `${path.basename(src)}.zip`);
    await zipFolder(src, out);
    const dest = await mkdtemp(path.join(tmpdir(), 'holdout-out-'));
    const entries = await extractZip(out, dest, limits);
    assert.deepEqual(entries.map((e) => e.name), ['main.py']);
    assert.equal(await readFile(path.join(dest, 'main.py'), 'utf8'), 'print(1)\n');
  });

  it('refuses zip slip', () => refused([{ name: '../evil.txt', data: 'x' }], /outside the archive/));
  it('refuses nested zip slip', () => refused([{ name: 'a/../../evil.txt', data: 'x' }], /outside the archive/));
  it('refuses absolute paths', () => refused([{ name: '/tmp/evil.txt', data: 'x' }], /absolute path/));
  it('refuses symbolic links', () => refused([{ name: 'link', data: '/etc/passwd', mode: 0o120777 }], /symbolic link/));
  it('refuses device files', () => refused([{ name: 'dev', data: '', mode: 0o020666 }], /special file/));
  it('refuses an empty zip', () => refused([], /empty/));
  it('refuses something that is not a zip', () => refused(Buffer.from('this is not a zip at all'), /not a valid zip/));
  it('refuses too many files', () =>
    refused(Array.from({ length: 51 }, (_, i) => ({ name: `f${i}.txt`, data: 'x' })), /more than 50 entries/));
  it('refuses a declared size over the limit', () => refused([{ name: 'big.bin', data: 'x', claimedSize: 2 << 20 }], /more than 1 MiB|damaged/));
  it('refuses real contents over the limit', () => refused([{ name: 'big.bin', data: Buffer.alloc((1 << 20) + 1) }], /more than 1 MiB/));
  it('names a backslash that yauzl refuses', () => refused([{ name: '..\\evil.txt', data: 'x' }], /contains a backslash/));
  it('refuses data that inflates past its declared size, as forged', () =>
    refused([{ name: 'bomb.bin', data: Buffer.alloc(256 << 10), deflate: true, claimedSize: 100 }], /unpacks to more than the 100 bytes its header declares/));
  it('refuses duplicate names', () => refused([{ name: 'a.py', data: '1' }, { name: 'a.py', data: '2' }], /twice/));
  it('refuses an entry whose data disagrees with its header', () =>
    refused([{ name: 'lie.bin', data: 'much more data than claimed', claimedSize: 3 }], /could not be unpacked|damaged/));

  it('inspects without writing', async () => {
    const entries = await inspectZip(await zipOf([{ name: 'main.py', data: 'x' }, { name: 'model/', data: '' }]), limits);
    assert.deepEqual(entries.map((e) => [e.name, e.isDirectory]), [['main.py', false], ['model/', true]]);
  });
});

describe('checkEntryPoint', () => {
  const e = (name: string) => ({ name, bytes: 1, isDirectory: name.endsWith('/') });
  it('accepts main.py at the root', () => checkEntryPoint([e('main.py')], 'main.py'));
  it('explains a zipped folder', () =>
    assert.throws(() => checkEntryPoint([e('mysub/'), e('mysub/main.py')], 'main.py'), /inside "mysub\/".*contents, not the folder/));
  it('says what is missing', () => assert.throws(() => checkEntryPoint([e('model.pkl')], 'main.py'), /main.py is missing/));
});
