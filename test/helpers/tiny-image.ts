import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Podman } from '../../src/runtimes/podman.js';

/** Host programs the tiny image carries: Debian's Python, and what the sandbox runs inside a runtime. */
const programs = ['/usr/bin/python3.11', '/usr/bin/setpriv', '/usr/bin/env', '/usr/bin/dash', '/usr/bin/true', '/usr/bin/cat'];
/** Parts of the standard library no test submission needs (they make the image 3x larger). */
const stdlibSkipped = ['test', 'idlelib', 'tkinter', 'lib2to3', 'ensurepip', 'pydoc_data', 'config-3.11-x86_64-linux-gnu', 'dist-packages', 'site-packages', 'turtledemo'];

/** Host shared libraries a program or module needs (from ldd), as real paths. */
function librariesOf(file: string): string[] {
  let out: string;
  try {
    out = execFileSync('/usr/bin/ldd', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  return [...out.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1] as string);
}

/** Whether this host has what `buildTinyPythonImage` copies (Debian 12's python3.11). */
export function canBuildTinyImage(): boolean {
  return programs.every((p) => existsSync(p)) && existsSync('/usr/lib/python3.11/os.py');
}

/**
 * A small runtime image (~15 MB, a couple of seconds) for fast tests: Debian's python3.11 with its
 * standard library (no numpy), setpriv, env and dash, copied from this host, made with
 * `podman import` of a tar. The trivial submission (csv module only) runs in it. `marker` goes to
 * /etc/holdout-tiny so that two builds can differ; `edit` changes the tree before it is packed.
 * @returns its image ID
 */
export async function buildTinyPythonImage(podman: Podman, tag: string, marker = 'tiny', edit?: (root: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdout-tiny-image-'));
  try {
    const root = path.join(dir, 'root');
    const files = new Set<string>();
    for (const p of programs) {
      files.add(p);
      for (const lib of librariesOf(p)) files.add(lib);
    }
    const dynload = '/usr/lib/python3.11/lib-dynload';
    for (const mod of execFileSync('/usr/bin/find', [dynload, '-name', '*.so'], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
      for (const lib of librariesOf(mod)) files.add(lib);
    }
    await mkdir(root, { mode: 0o755 });
    // Real paths (/lib is a link here), relative to /, copied with their folders through tar.
    // Both the name a program asks for (libcap-ng.so.0, a link) and the file it points at.
    const real = [...new Set([...files].flatMap((f) => [path.join(realpathSync(path.dirname(f)), path.basename(f)), realpathSync(f)]).map((f) => f.slice(1)))];
    const excludes = stdlibSkipped.flatMap((s) => ['--exclude', `usr/lib/python3.11/${s}`]);
    execFileSync('/usr/bin/tar', ['-C', '/', '-cf', path.join(dir, 'host.tar'), '--exclude', '__pycache__', ...excludes, ...real, 'usr/lib/python3.11']);
    execFileSync('/usr/bin/tar', ['-C', root, '-xf', path.join(dir, 'host.tar')]);
    // (usr/lib64/ld-linux-x86-64.so.2, the loader's link, came with the libraries.)
    for (const name of ['python3', 'python']) await symlink('python3.11', path.join(root, 'usr', 'bin', name));
    await symlink('dash', path.join(root, 'usr', 'bin', 'sh'));
    for (const [link, target] of [['bin', 'usr/bin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64'], ['sbin', 'usr/sbin']] as const) {
      await symlink(target, path.join(root, link));
    }
    await mkdir(path.join(root, 'usr', 'sbin'), { mode: 0o755 });
    await mkdir(path.join(root, 'etc'), { mode: 0o755 });
    await writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    await writeFile(path.join(root, 'etc', 'group'), 'root:x:0:\n');
    await writeFile(path.join(root, 'etc', 'holdout-tiny'), `${marker}\n`);
    // No etc/hosts: the image cache must add the files the sandbox binds over.
    await edit?.(root);
    execFileSync('/usr/bin/tar', ['--numeric-owner', '-C', root, '-cf', path.join(dir, 'image.tar'), '.']);
    return await podman.importTar(path.join(dir, 'image.tar'), tag);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A podman storage of its own in `dir` (graph root, run root, a registries.conf marking
 * `insecureRegistries` as plain HTTP), as the environment podman reads it from.
 */
export async function podmanStorageEnv(dir: string, insecureRegistries: readonly string[] = []): Promise<NodeJS.ProcessEnv> {
  await mkdir(dir, { recursive: true });
  const storageConf = path.join(dir, 'storage.conf');
  await writeFile(storageConf, `[storage]\ndriver = "overlay"\ngraphroot = "${dir}/graph"\nrunroot = "${dir}/run"\n`);
  const registriesConf = path.join(dir, 'registries.conf');
  await writeFile(
    registriesConf,
    ['unqualified-search-registries = []', ...insecureRegistries.map((r) => `[[registry]]\nlocation = "${r}"\ninsecure = true`)].join('\n') + '\n',
  );
  return { ...process.env, CONTAINERS_STORAGE_CONF: storageConf, CONTAINERS_REGISTRIES_CONF: registriesConf };
}

/** Removes a storage made by `podmanStorageEnv` (its images first, so no overlay mount is left). */
export async function removePodmanStorage(podman: Podman, dir: string): Promise<void> {
  // Not "podman system reset": that also clears the host's network configuration.
  await podman.exec(['rmi', '--all', '--force'], 'removing the images of a test storage').catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}

/**
 * A main.py that labels every row 4 inside a tiny image (its marker file /etc/holdout-tiny) and 0
 * elsewhere: the score says where the code ran.
 */
export const whereItRanMain = `import csv, os
label = 4 if os.path.exists("/etc/holdout-tiny") else 0
with open(os.path.join(os.environ["HOLDOUT_DATA"], "test_features.csv"), newline="") as f, open(os.path.join(os.environ["HOLDOUT_OUTPUT"], "submission.csv"), "w", newline="") as g:
    rows = csv.reader(f)
    next(rows)
    w = csv.writer(g)
    w.writerow(["id", "label"])
    for row in rows:
        w.writerow([row[0], label])
`;
