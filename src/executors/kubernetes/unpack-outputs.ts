import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClusterRunError } from './pod-outcome.js';

/**
 * Unpacks the tar that `collect` sends into `outputDir` with the host's GNU tar: the owner of the
 * archive (the run's uid: the run has no capability to chown, so nothing else appears), modes
 * under the umask, and nothing outside `outputDir` (GNU tar refuses `..`, strips a leading `/` and
 * creates symlinks only after everything else, so no member is written through one). Past `cap`
 * bytes it stops: no honest archive of a volume bounded by `outputBytes` is that large.
 * What it unpacks is still the run's: read it with lstat/O_NOFOLLOW only.
 * @returns the stream to write the archive to, and `done`, which rejects with a ClusterRunError
 * when tar failed or the cap was passed
 */
export function unpackOutputs(outputDir: string, cap: number): { sink: Writable; done: () => Promise<void> } {
  const untar = spawn('/usr/bin/tar', ['-x', '-f', '-', '-C', outputDir, '--numeric-owner', '--no-same-permissions', '--delay-directory-restore'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  untar.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  // Killed at the cap (or gone early), tar's stdin refuses writes: an EPIPE that must not end the worker.
  untar.stdin.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => untar.on('close', resolve));
  // Counted as the pod sends it, not as tar reads it: tar stops reading at its end-of-archive
  // blocks, and whatever follows them still counts against the cap.
  let seen = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, next) {
      seen += chunk.length;
      if (seen > cap) untar.kill('SIGKILL');
      // Past the cap, or once tar has stopped reading, the rest is dropped; done() says why.
      if (seen > cap || !untar.stdin.writable) return next();
      if (untar.stdin.write(chunk)) return next();
      const resume = () => {
        untar.stdin.off('drain', resume).off('close', resume);
        next();
      };
      untar.stdin.on('drain', resume).on('close', resume);
    },
    final(next) {
      untar.stdin.end();
      next();
    },
  });
  return {
    sink,
    async done() {
      if (!sink.writableEnded) sink.end();
      // Every byte counted before the verdict, even those sent after tar exited.
      await finished(sink).catch(() => undefined);
      const status = await exited;
      if (seen > cap) throw new ClusterRunError(`the pod sent more than ${cap} bytes of outputs`);
      if (status !== 0) throw new ClusterRunError(`unpacking the outputs from the pod failed (tar ${status}): ${stderr.trim()}`);
    },
  };
}
