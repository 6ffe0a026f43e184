import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClusterRunError } from './pod-outcome.js';
import { unpackOutputs } from './unpack-outputs.js';

/** A tar with the members given, made by Python's tarfile (which writes what GNU tar would refuse to make). */
function craftedTar(file: string, members: { name: string; data?: string; symlinkTo?: string }[]): void {
  const program = [
    'import io, json, sys, tarfile',
    't = tarfile.open(sys.argv[1], "w")',
    'for m in json.loads(sys.argv[2]):',
    '    i = tarfile.TarInfo(m["name"])',
    '    if "symlinkTo" in m: i.type, i.linkname = tarfile.SYMTYPE, m["symlinkTo"]; t.addfile(i)',
    '    else: data = m.get("data", "").encode(); i.size = len(data); t.addfile(i, io.BytesIO(data))',
    't.close()',
  ].join('\n');
  execFileSync('/usr/bin/python3', ['-c', program, file, JSON.stringify(members)]);
}

describe('unpacking the outputs a pod sends', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'holdout-k8s-unpack-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('unpacks what collect sends (tar -c of the output folder), links kept as links', async () => {
    const src = path.join(dir, 'src');
    await mkdir(path.join(src, 'sub'), { recursive: true });
    await writeFile(path.join(src, 'predictions.csv'), 'id,y\n1,0.5\n');
    await writeFile(path.join(src, 'sub', 'more.txt'), 'x');
    await symlink('/etc/passwd', path.join(src, 'link'));
    const tar = execFileSync('/usr/bin/tar', ['-c', '-f', '-', '-C', src, '.']);
    const out = path.join(dir, 'out1');
    await mkdir(out);
    const { sink, done } = unpackOutputs(out, 1 << 20);
    sink.end(tar);
    await done();
    assert.equal(await readFile(path.join(out, 'predictions.csv'), 'utf8'), 'id,y\n1,0.5\n');
    assert.equal(await readFile(path.join(out, 'sub', 'more.txt'), 'utf8'), 'x');
    assert.ok((await lstat(path.join(out, 'link'))).isSymbolicLink());
  });

  it('a crafted archive writes nothing outside the folder (.., absolute names, a path through a link) and fails', async () => {
    const victim = path.join(dir, 'victim');
    await mkdir(victim);
    const file = path.join(dir, 'evil.tar');
    craftedTar(file, [
      { name: './link', symlinkTo: victim },
      { name: './link/pwned', data: 'evil' },
      { name: '../escape', data: 'evil' },
      { name: `${victim}/absolute`, data: 'evil' },
      { name: './ok.csv', data: 'id,y\n' },
    ]);
    const out = path.join(dir, 'out2');
    await mkdir(out);
    const { sink, done } = unpackOutputs(out, 1 << 20);
    sink.end(await readFile(file));
    await assert.rejects(done(), (e: unknown) => e instanceof ClusterRunError && /Member name contains '\.\.'/.test(e.message));
    assert.deepEqual(await readdir(victim), []);
    assert.deepEqual((await readdir(dir)).sort(), ['evil.tar', 'out1', 'out2', 'src', 'victim']);
    assert.equal(await readFile(path.join(out, 'ok.csv'), 'utf8'), 'id,y\n');
  });

  it('stops past the cap', async () => {
    const out = path.join(dir, 'out3');
    await mkdir(out);
    const { sink, done } = unpackOutputs(out, 64 * 1024);
    // One block more than the cap: exactly the cap is allowed.
    for (let i = 0; i < 65; i++) sink.write(Buffer.alloc(4096));
    await assert.rejects(done(), /more than 65536 bytes/);
  });
});
