import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codabenchIngestionAliases, harnessMount } from '../domain/harness.js';
import { defaultLayout } from '../domain/limits.js';
import { containerCreateBody } from './docker/container-spec.js';
import { runAliases } from './executor.js';
import { buildBwrapArgs } from './sandbox/bwrap-args.js';

const limits = { wallTimeMs: 1000, memoryBytes: 64 << 20, cpus: 0.5, pids: 16, outputBytes: 1 << 20, logBytes: 4096, gpus: 0 };

describe("a run's aliases (the /app paths Codabench programs hard-code)", () => {
  it('leaves out an alias that clashes with a layout path, and a harness alias without a harness', () => {
    const layout = { code: '/app/ingested_program', data: '/code_execution/data', output: '/code_execution/submission' };
    assert.deepEqual(runAliases(codabenchIngestionAliases, layout, [harnessMount], false), [
      ['/app/input_data', 'data'],
      ['/app/output', 'output'],
      ['/app/shared', 'scratch'],
    ]);
    assert.deepEqual(runAliases({ '/code_execution': 'scratch', '/app/x': 'code' }, defaultLayout, [], false), [['/app/x', 'code']], 'around a layout path');
  });

  it('binds the same host folders again in the sandbox, with the same access, and /app/shared as a writable tmpfs', () => {
    const args = buildBwrapArgs({
      rootArgs: ['--ro-bind', '/usr', '/usr'],
      layout: defaultLayout,
      hostPaths: { code: '/ws/src', output: '/ws/out', data: '/ws/data', harness: '/ws/harness' },
      codeReadOnly: true,
      aliases: codabenchIngestionAliases,
      etcFiles: { passwd: '/ws/passwd', group: '/ws/group', hosts: '/ws/hosts' },
      uid: 61000,
      command: ['python3', '/app/program/ingestion.py'],
    });
    const line = args.join(' ');
    for (const bind of ['--ro-bind /ws/harness /app/program', '--ro-bind /ws/harness /app/ingestion_program', '--ro-bind /ws/src /app/ingested_program', '--ro-bind /ws/data /app/input_data', '--bind /ws/out /app/output', '--perms 1777 --tmpfs /app/shared', '--perms 0755 --dir /app']) {
      assert.ok(line.includes(bind), `${bind} in ${line}`);
    }
    assert.ok(line.indexOf('--dir /app ') < line.indexOf('/app/program'), 'the parent folder first');
  });

  it('binds them in a container too, and mounts a tmpfs for scratch', () => {
    const body = containerCreateBody({
      spec: { command: ['python3', 'score.py'], layout: defaultLayout, limits, dataDir: '/host/data', aliases: { '/app/shared': 'scratch', '/app/input_data': 'data', '/app/ingested_program': 'code' }, codeReadOnly: true },
      image: `sha256:${'a'.repeat(64)}`,
      runtimeBinds: [],
      workspace: { src: '/ws/src', output: '/ws/output', etcFiles: { passwd: '/ws/passwd', group: '/ws/group', hosts: '/ws/hosts' } },
      logPipe: '/ws/log.fifo',
      launcher: { argv: ['/.holdout/setpriv'], files: [] },
      uid: 61005,
      cgroupParent: '/holdout-docker/run-1',
      seccomp: '/files/seccomp.json',
      labels: {},
    }) as { HostConfig: { Binds: string[]; Mounts: Array<{ Target: string }> } };
    assert.ok(body.HostConfig.Binds.includes('/host/data:/app/input_data:ro'));
    assert.ok(body.HostConfig.Binds.includes('/ws/src:/app/ingested_program:ro'));
    assert.deepEqual(body.HostConfig.Mounts.map((m) => m.Target), ['/tmp', '/dev/shm', '/app/shared']);
  });
});
