import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { rootfsRuntime } from '../executors/sandbox/sandbox-runtime.js';
import { mirrorFromSources } from './debian-mirror.js';
import { installedPackages } from './dpkg-status.js';
import { loadRuntimeRecipe, parsePackageList, RuntimeRecipeError } from './runtime-recipe.js';
import { treeDigest } from './tree-digest.js';

const shipped = path.resolve(import.meta.dirname, '..', '..', 'runtimes');

describe('runtime recipes', () => {
  it('reads the shipped python-ml recipe', async () => {
    const recipe = await loadRuntimeRecipe(shipped, 'python-ml');
    assert.equal(recipe.distribution, 'bookworm');
    for (const pkg of ['python3', 'python3-numpy', 'python3-pandas', 'python3-sklearn', 'python3-scipy', 'python3-pil']) {
      assert.ok(recipe.packages.includes(pkg), pkg);
    }
    assert.match(recipe.recipeDigest, /^sha256:[0-9a-f]{64}$/);
    // The Dockerfile builds the same runtime: same distribution, the same package list file, the same test.
    const dockerfile = await readFile(path.join(recipe.dir, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, new RegExp(`^FROM debian:${recipe.distribution}`, 'm'));
    assert.match(dockerfile, /packages\.txt/);
    assert.match(dockerfile, new RegExp(recipe.test.replace('.', '\\.')));
  });

  it('names the known recipes for an unknown one, and rejects bad package names with their line', async () => {
    await assert.rejects(loadRuntimeRecipe(shipped, 'python-nope'), /no runtime recipe "python-nope" .*known: python-ml/);
    assert.throws(() => parsePackageList('python3\n# a comment\nnumpy; rm -rf /\n'), (e: unknown) => e instanceof RuntimeRecipeError && /packages\.txt:3: "numpy; rm -rf \/"/.test(e.message));
    assert.deepEqual(parsePackageList('a1 # first\n\nlibc6:amd64\n'), ['a1', 'libc6:amd64']);
  });
});

describe('runtime building blocks', () => {
  it('finds the Debian mirror in one-line and deb822 apt sources, not the security one', () => {
    const deb822 = 'Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n\nTypes: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n';
    assert.equal(mirrorFromSources([deb822]), 'http://mirror.example/debian');
    assert.equal(mirrorFromSources(['# comment\ndeb [arch=amd64] https://ftp.example.org/debian bookworm main\n']), 'https://ftp.example.org/debian');
    assert.equal(mirrorFromSources(['']), undefined);
  });

  it('reads installed packages from dpkg\'s status file', () => {
    const status = [
      'Package: python3\nStatus: install ok installed\nVersion: 3.11.2-1+b1\n',
      'Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n',
    ].join('\n');
    assert.deepEqual([...installedPackages(status)], [['python3', '3.11.2-1+b1']]);
  });

  it('binds a built runtime\'s usr and etc instead of the host\'s', () => {
    const rt = rootfsRuntime('python-ml', '/srv/runtimes/python-ml/rootfs', 'sha256:abc');
    assert.equal(rt.digest, 'sha256:abc');
    const args = rt.rootArgs.join(' ');
    assert.match(args, /--ro-bind \/srv\/runtimes\/python-ml\/rootfs\/usr \/usr/);
    assert.match(args, /--ro-bind \/srv\/runtimes\/python-ml\/rootfs\/etc \/etc/);
    assert.doesNotMatch(args, /--ro-bind \/usr /, 'nothing of the host\'s /usr');
  });

  describe('tree digest', () => {
    let dir: string;
    after(() => rm(dir, { recursive: true, force: true }));

    it('depends on contents, modes and links, not on timestamps', async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'holdout-digest-'));
      await mkdir(path.join(dir, 'usr', 'bin'), { recursive: true });
      await writeFile(path.join(dir, 'usr', 'bin', 'tool'), 'v1');
      await symlink('usr/bin', path.join(dir, 'bin'));
      const first = await treeDigest(dir);
      assert.match(first, /^sha256:[0-9a-f]{64}$/);
      await utimes(path.join(dir, 'usr', 'bin', 'tool'), new Date(0), new Date(0));
      assert.equal(await treeDigest(dir), first);
      await chmod(path.join(dir, 'usr', 'bin', 'tool'), 0o4755);
      const setuid = await treeDigest(dir);
      assert.notEqual(setuid, first);
      await writeFile(path.join(dir, 'usr', 'bin', 'tool'), 'v2');
      assert.notEqual(await treeDigest(dir), setuid);
    });
  });
});
