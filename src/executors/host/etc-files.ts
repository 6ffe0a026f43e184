/** Name the run's uid has in its /etc/passwd. */
export const sandboxUserName = 'sandbox';

/**
 * The only account files a run sees: enough for `getpass.getuser()`, `pwd`, `id` and `localhost`
 * to work, and nothing of the host's users or hosts. Pure.
 */
export function etcFileContents(uid: number, hostname = 'sandbox'): { passwd: string; group: string; hosts: string } {
  return {
    passwd: [
      'root:x:0:0:root:/root:/usr/sbin/nologin',
      `${sandboxUserName}:x:${uid}:${uid}:${sandboxUserName}:/tmp:/usr/sbin/nologin`,
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
      '',
    ].join('\n'),
    group: ['root:x:0:', `${sandboxUserName}:x:${uid}:`, 'nogroup:x:65534:', ''].join('\n'),
    hosts: [`127.0.0.1\tlocalhost ${hostname}`, '::1\tlocalhost ip6-localhost ip6-loopback', ''].join('\n'),
  };
}
