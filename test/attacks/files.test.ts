import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertRefused, reportOf, startBench, type AttackBench } from './attack-harness.js';
import type { OutputEntry } from './recording-executor.js';

/** sha256 of every file under `dir`, by relative path. */
async function digests(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, full)] = createHash('sha256').update(await readFile(full)).digest('hex');
  }
  return out;
}

describe('attack: files', () => {
  let b: AttackBench;
  let report: Record<string, unknown>;
  let final: Record<string, unknown>;
  let output: OutputEntry[];
  const hostTmpName = `holdout-attack-${randomUUID()}`;
  const hostFiles = ['/etc/passwd', '/etc/hosts'];
  let hostBefore: (Buffer | null)[];
  let bundleBefore: Record<string, string>;

  before(async () => {
    b = await startBench();
    hostBefore = await Promise.all(hostFiles.map((f) => readFile(f).catch(() => null)));
    bundleBefore = await digests(path.join(b.h.dataDir, 'bundle'));
    const id = await b.submit('files', { settings: { host_tmp_name: hostTmpName } });
    final = await b.final(id);
    report = reportOf(await b.storedLog(id));
    output = b.recorder.runsOf(id)[0]?.output ?? [];
  });
  after(() => b.close());

  it('runs to the end', () => {
    assert.equal(final.status, 'scored', JSON.stringify(final));
  });

  it('cannot change the test features in any way', () => {
    for (const name of ['append_test_features', 'truncate_test_features']) assertRefused(report, name, ['EACCES', 'EROFS']);
    for (const name of ['create_in_data', 'chmod_test_features', 'rename_test_features', 'unlink_test_features', 'utime_test_features']) {
      assertRefused(report, name, ['EROFS', 'EPERM', 'EACCES']);
    }
  });

  it('leaves the mounted bundle files byte for byte as they were', async () => {
    const [cached] = await readdir(path.join(b.h.dataDir, 'cache', 'bundles'));
    assert.ok(cached, 'the worker cached the bundle it mounted');
    const mounted = await digests(path.join(b.h.dataDir, 'cache', 'bundles', cached));
    for (const [file, digest] of Object.entries(mounted)) assert.equal(digest, bundleBefore[file], `${file} changed`);
    assert.deepEqual(await digests(path.join(b.h.dataDir, 'bundle')), bundleBefore);
  });

  it('cannot write outside its output folder and scratch copy', () => {
    for (const name of ['write_root', 'write_etc_passwd', 'write_etc_new', 'write_usr', 'write_layout_parent', 'write_via_proc_root']) {
      assertRefused(report, name, ['EROFS', 'EACCES']);
    }
  });

  it("writes its /tmp files into its own /tmp, never the host's", () => {
    assertRefused(report, 'write_tmp_via_proc_root', ['EACCES', 'EROFS']);
    assert.equal(existsSync(path.join('/tmp', hostTmpName)), false, `host /tmp/${hostTmpName} exists`);
    assert.equal(existsSync(path.join('/tmp', `${hostTmpName}-root`)), false);
  });

  it('cannot create device nodes', () => {
    for (const name of ['mknod_char_mem', 'mknod_block_disk', 'mknod_char_in_code']) assertRefused(report, name, ['EPERM']);
    const devices = output.filter((e) => e.kind === 'char-device' || e.kind === 'block-device');
    assert.deepEqual(devices.map((e) => e.name), [], 'device nodes in the output');
  });

  it('cannot make set-user-id or set-group-id files, by chmod or by creating them so', () => {
    for (const name of ['chmod_setuid', 'chmod_setgid', 'fchmod_setuid', 'create_setuid', 'create_setgid_in_code', 'mknod_setuid_file']) {
      assertRefused(report, name, ['EPERM']);
    }
    assert.deepEqual(report.setid_files_left, [], 'set-id files the run saw in its output');
    const setid = output.filter((e) => (e.mode & 0o6000) !== 0);
    assert.deepEqual(setid.map((e) => e.name), [], 'set-id files the host found in the output');
  });

  it('cannot give files to root or hard-link files it does not own', () => {
    assertRefused(report, 'chown_root', ['EPERM']);
    assertRefused(report, 'hardlink_test_features', ['EXDEV', 'EPERM']);
    assertRefused(report, 'hardlink_etc_passwd', ['EXDEV', 'EPERM']);
  });

  it("leaves the host's files unchanged", async () => {
    const now = await Promise.all(hostFiles.map((f) => readFile(f).catch(() => null)));
    hostFiles.forEach((f, i) => assert.deepEqual(now[i], hostBefore[i], `${f} changed`));
  });
});
