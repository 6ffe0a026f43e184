import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BundleError } from '../bundle/bundle-error.js';
import { KubernetesExecutor } from '../executors/kubernetes/kubernetes-executor.js';
import { createContext, type AppContext } from './context.js';
import { loadConfig } from './config.js';
import { installCompetition } from './install-competition.js';

const demo = path.resolve(import.meta.dirname, '..', '..', 'examples', 'digits', 'bundle');

describe('installing a competition with a harness where the executor cannot run one', () => {
  let work: string;
  let ctx: AppContext;
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'holdout-install-harness-'));
    ctx = await createContext(loadConfig({ HOLDOUT_DATA_DIR: path.join(work, 'data') }, { workers: 0, logLevel: 'silent' }));
  });
  after(async () => {
    await ctx.close();
    await rm(work, { recursive: true, force: true });
  });

  it('is refused with the reason, naming the harness field, and installs nothing', async () => {
    const bundle = path.join(work, 'bundle');
    await cp(demo, bundle, { recursive: true });
    const yaml = path.join(bundle, 'competition.yaml');
    await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('entrypoint: python main.py\n', 'entrypoint: python3 model.py\nharness:\n  files: harness/\n  command: python3 $harness/run.py\n'));
    await mkdir(path.join(bundle, 'harness'));
    await writeFile(path.join(bundle, 'harness', 'run.py'), 'print("hi")\n');
    const kubernetes = new KubernetesExecutor({ namespace: 'holdout-runs', dataVolume: { kind: 'pvc', claimName: 'data' }, dataRoot: '/var/lib/holdout/cache/bundles' });
    await assert.rejects(installCompetition(bundle, { ...ctx, executor: kubernetes }), (e: unknown) => e instanceof BundleError && /harness: cannot run here: the kubernetes executor does not run a host's harness/.test(e.message));
    assert.equal(await ctx.competitions.bySlug('digits'), undefined);
    // The same bundle on this host's own executor (the sandbox) installs.
    assert.equal((await installCompetition(bundle, ctx)).slug, 'digits');
  });
});
