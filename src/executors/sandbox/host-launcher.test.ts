import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { defaultLayout } from '../../domain/limits.js';
import { buildBwrapArgs } from './bwrap-args.js';
import { hostLauncher } from '../host/host-launcher.js';
import { rootfsRuntime } from './sandbox-runtime.js';

const skip = existsSync('/usr/bin/setpriv') && existsSync('/usr/bin/ldd') ? false : 'needs util-linux\'s setpriv and ldd';

describe('an image runtime drops privileges with the host\'s setpriv', { skip }, () => {
  const runtime = rootfsRuntime('img', '/cache/abc/rootfs', `sha256:${'a'.repeat(64)}`);
  const input = {
    rootArgs: runtime.rootArgs,
    layout: defaultLayout,
    hostPaths: { code: '/w/code', output: '/w/out', data: '/w/data' },
    etcFiles: { passwd: '/w/passwd', group: '/w/group', hosts: '/w/hosts' },
    uid: 4242,
    command: ['python', 'main.py'],
    env: { HOLDOUT_SMOKE: '1' },
    ...(runtime.dropPrivileges ? { dropPrivileges: runtime.dropPrivileges } : {}),
  };

  it('binds the host\'s setpriv, loader and libraries under /.holdout and starts it through that loader', () => {
    const launcher = hostLauncher();
    const args = buildBwrapArgs(input);
    const loader = args[args.indexOf('/.holdout/ld.so') - 1] ?? '';
    assert.match(loader, /^\/usr\/lib\/.*ld-linux.*\.so/, 'the host\'s own loader');
    assert.ok(launcher.bindArgs.includes('/.holdout/lib/libc.so.6'));
    const tail = args.slice(args.indexOf('--') + 1);
    assert.deepEqual(tail.slice(0, 4), ['/.holdout/ld.so', '--library-path', '/.holdout/lib', '/.holdout/setpriv']);
    assert.ok(!tail.includes('/usr/bin/setpriv'), 'never the image\'s setpriv');
  });

  it('sets no environment before the drop; the image\'s env sets it after, then the command', () => {
    const args = buildBwrapArgs(input);
    assert.ok(!args.includes('--setenv'));
    const afterDrop = args.slice(args.lastIndexOf('--') + 1);
    assert.deepEqual(afterDrop.slice(0, 2), ['/usr/bin/env', '-i']);
    assert.ok(afterDrop.includes('LANG=C.UTF-8') && afterDrop.includes('HOLDOUT_SMOKE=1') && afterDrop.includes('HOME=/tmp'));
    assert.deepEqual(afterDrop.slice(-2), ['python', 'main.py']);
    assert.throws(() => buildBwrapArgs({ ...input, command: ['A=1', 'python'] }), /cannot start with "A=1"/);
  });
});
