import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildTinyPythonImage, canBuildTinyImage, podmanStorageEnv, removePodmanStorage } from '../../../test/helpers/tiny-image.js';
import { defaultLayout } from '../../domain/limits.js';
import { Podman } from '../../runtimes/podman.js';
import { buildPodTemplate, containers, type RunManifestInput, terminationMessagePath } from './manifests.js';

// The generated pod template, run for real: `podman kube play --network=none` of the Job's
// spec.template as a Pod (podman 4.3 cannot play kind: Job). What it checks from inside: the uid,
// the read-only root, the read-only data volume, the writable output and scratch, no network but
// lo, the memory limit (a child that allocates past it is killed, and the wrapper counts the OOM
// kill), and `collect`'s tar of the output. What it cannot check: the attach of `code` and `collect` (kube play attaches nothing),
// the NetworkPolicy, the deadline and the kubelet's status; only a real cluster does
// (kubernetes-executor.test.ts with KUBECONFIG).

const MiB = 1024 * 1024;
const uid = 10001;
const tag = 'localhost/holdout-test/k8s-tiny:1';

/** The tiny image plus what `code` and `collect` need: head and tar (with their libraries). */
async function addHelpers(root: string): Promise<void> {
  for (const program of ['/usr/bin/head', '/usr/bin/tar']) {
    const libs = [...execFileSync('/usr/bin/ldd', [program], { encoding: 'utf8' }).matchAll(/(\/\S+) \(0x/g)].map((m) => m[1] as string);
    for (const file of [program, ...libs]) {
      const real = path.join(realpathSync(path.dirname(file)), path.basename(file));
      // The loader and libc came with python.
      if (existsSync(path.join(root, real))) continue;
      execFileSync('/usr/bin/cp', ['-L', '--parents', real, root]);
    }
  }
}

/** Checks the run makes from inside, printed as `name=value` lines on its log. */
const probe = String.raw`
import errno, json, os, socket, subprocess, sys
def report(name, value): print(f"{name}={json.dumps(value)}", flush=True)
def write_errno(p):
    try:
        with open(p, "w") as f: f.write("x")
        return "written"
    except OSError as e:
        return errno.errorcode[e.errno]
report("cwd", [os.getcwd(), sorted(os.listdir('.'))])
report("uid", [os.getuid(), os.geteuid(), os.getgid()])
report("root", write_errno("/probe"))
report("data_write", write_errno(os.environ["HOLDOUT_DATA"] + "/probe"))
report("data_read", open(os.environ["HOLDOUT_DATA"] + "/features.csv").read())
report("tmp", write_errno("/tmp/probe"))
report("shm", write_errno("/dev/shm/probe"))
with open(os.environ["HOLDOUT_OUTPUT"] + "/predictions.csv", "w") as f: f.write("id,y\n1,0.5\n")
report("separate", sorted(os.listdir(".")) == ["main.py"])
report("net", sorted(os.listdir("/sys/class/net")))
try:
    socket.create_connection(("10.0.0.1", 80), timeout=2); report("connect", "connected")
except OSError as e:
    report("connect", type(e).__name__)
caps = [l.split()[1] for l in open("/proc/self/status") if l.startswith(("CapEff", "CapBnd", "NoNewPrivs"))]
report("caps", caps)
limit = None
for p in ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max"):
    if os.path.exists(p): limit = open(p).read().strip()
report("memory_limit", limit)
hog = subprocess.run([sys.executable, "-c", "b = bytearray(400 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"])
report("hog", hog.returncode)
report("env", sorted(os.environ))
`;

const canRun = process.getuid?.() === 0 && existsSync('/usr/bin/podman') && canBuildTinyImage();

describe('kubernetes pod template under podman kube play', { skip: canRun ? false : 'needs root, podman and Debian 12 python3.11 (test/helpers/tiny-image.ts)' }, () => {
  let dir: string;
  let podman: Podman;
  let env: NodeJS.ProcessEnv;
  let podFile: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'holdout-k8s-play-'));
    env = await podmanStorageEnv(path.join(dir, 'storage'));
    podman = new Podman({ env, cwd: dir });
    await buildTinyPythonImage(podman, tag, 'k8s', addHelpers);
  });

  after(async () => {
    if (podFile) await podman.exec(['kube', 'play', '--down', podFile], 'removing the test pod').catch(() => undefined);
    if (podman) await removePodmanStorage(podman, path.join(dir, 'storage'));
    await rm(dir, { recursive: true, force: true });
  });

  it('runs as the run uid, read-only root and data, output and scratch writable, only lo, the memory limit', async () => {
    // The data volume: a node cache folder holding bundle folders; the run gets one as subPath.
    const cache = path.join(dir, 'node-cache');
    await mkdir(path.join(cache, 'bundle-1', 'data'), { recursive: true });
    await writeFile(path.join(cache, 'bundle-1', 'data', 'features.csv'), 'id,x\n1,2\n');
    // The code, as the worker's tar of the unpacked submission.
    const code = path.join(dir, 'code');
    await mkdir(code);
    await writeFile(path.join(code, 'main.py'), probe);
    const seed = path.join(dir, 'seed');
    await mkdir(seed);
    execFileSync('/usr/bin/tar', ['-c', '-f', path.join(seed, 'code.tar'), '-C', code, '.']);
    await chmod(dir, 0o755);
    const input: RunManifestInput = {
      spec: {
        runId: 'play-1',
        command: ['python3', 'main.py'],
        layout: defaultLayout,
        limits: { wallTimeMs: 60_000, memoryBytes: 256 * MiB, cpus: 1, pids: 128, outputBytes: 16 * MiB, logBytes: MiB, gpus: 0 },
        env: { HOLDOUT_DATA: defaultLayout.data, HOLDOUT_OUTPUT: defaultLayout.output },
      },
      namespace: 'holdout-runs',
      image: tag,
      codeBytes: 0,
      data: { volume: { kind: 'hostPath', path: cache }, subPath: 'bundle-1/data' },
      uid,
      graceSeconds: 60,
      ttlSeconds: 60,
    };
    const template = buildPodTemplate(input);
    const spec = template.spec;
    assert.ok(spec);
    // kube play attaches nothing: `code` reads the tar from a file instead of its stdin, and
    // `collect` prints the predictions from the tar it would send instead of waiting for the
    // worker's line. Everything else is the generated pod.
    const [codeInit] = spec.initContainers ?? [];
    const collect = spec.containers[0];
    assert.ok(codeInit?.command && collect?.command);
    codeInit.command[2] = 'tar -x -f /seed/code.tar -C "$0"';
    codeInit.volumeMounts?.push({ name: 'seed', mountPath: '/seed', readOnly: true });
    spec.volumes?.push({ name: 'seed', hostPath: { path: seed, type: 'Directory' } });
    // podman 4.3 ignores subPath on a hostPath volume (Kubernetes honours it): name the folder itself.
    const data = spec.volumes?.find((v) => v.name === 'data');
    const dataMount = spec.initContainers?.[1]?.volumeMounts?.find((m) => m.name === 'data');
    assert.ok(data?.hostPath && dataMount?.subPath === 'bundle-1/data');
    data.hostPath.path = path.join(cache, dataMount.subPath);
    delete dataMount.subPath;
    collect.command[2] = 'tar -c -f - -C "$0" . | tar -x -O -f - ./predictions.csv';
    // Nor does it keep a termination message: the wrapper's report goes to /tmp and is printed on
    // the run's log, where the test reads it.
    const runCommand = spec.initContainers?.[1]?.command;
    const wrapper = runCommand?.[2];
    assert.ok(runCommand && wrapper !== undefined && wrapper.includes(terminationMessagePath));
    runCommand[2] = wrapper.replace(`>${terminationMessagePath}`, '>/tmp/status; cat /tmp/status');
    const name = 'holdout-play-1';
    // podman removes init containers once they ran, logs and all, unless told to keep them.
    const keepInitContainers = { 'io.podman.annotations.init.container.type': 'always' };
    podFile = path.join(dir, 'pod.yaml');
        await writeFile(podFile, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, ...template.metadata, annotations: keepInitContainers }, spec }, null, 2));
    const started = Date.now();
    await podman.exec(['kube', 'play', '--network=none', podFile], 'playing the pod');
    await podman.exec(['wait', `${name}-${containers.collect}`], 'waiting for the pod');
    console.log(`kube play and run: ${Date.now() - started} ms`);
    const logOf = (container: string) => podman.exec(['logs', `${name}-${container}`], `reading the log of ${container}`);
    const logs = await logOf(containers.run);
    console.log(logs);
    const seen = Object.fromEntries([...logs.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1], JSON.parse(m[2] as string) as unknown]));
    assert.deepEqual(seen.cwd, [defaultLayout.code, ['main.py']]);
    assert.deepEqual(seen.uid, [uid, uid, uid]);
    assert.equal(seen.root, 'EROFS');
    assert.equal(seen.data_write, 'EROFS');
    assert.equal(seen.data_read, 'id,x\n1,2\n');
    assert.equal(seen.separate, true, 'code and output are separate folders of the workspace volume');
    assert.equal(seen.tmp, 'written');
    assert.equal(seen.shm, 'written');
    assert.deepEqual(seen.net, ['lo']);
    assert.notEqual(seen.connect, 'connected');
    assert.deepEqual(seen.caps, ['0000000000000000', '0000000000000000', '1'].slice(0, (seen.caps as unknown[]).length));
    assert.equal(seen.memory_limit, String(256 * MiB));
    assert.equal(seen.hog, -9);
    // The wrapper's report: the entry point's status, and the OOM kill of the hog the kubelet would not see.
    assert.match(logs, /^exit 0 oom 1$/m);
    // The sandbox's environment (PWD: the shell's, as in the docker executor), nothing of the engine's.
    assert.deepEqual(seen.env, ['HOLDOUT_DATA', 'HOLDOUT_OUTPUT', 'HOME', 'LANG', 'PATH', 'PWD']);
    assert.equal(await logOf(containers.collect), 'id,y\n1,0.5\n');
  });
});
