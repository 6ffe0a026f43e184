import type { V1Volume } from '@kubernetes/client-node';

/**
 * Where the pods of a cluster find the test features: a volume holding the same tree as the
 * worker's bundle cache (`<bundle folder>/<features>`), mounted read-only with the run's folder as
 * its subPath. The host fills it (a PVC on a shared file system, a node cache under hostPath, or a
 * CSI driver such as blob-csi or an image/squashfs driver); the executor never writes to it.
 */
export type DataVolume =
  | { kind: 'pvc'; claimName: string }
  | { kind: 'hostPath'; path: string }
  | { kind: 'csi'; driver: string; volumeAttributes: Record<string, string> };

const dnsName = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * Reads the configuration's form: `pvc:CLAIM`, `hostPath:/ABSOLUTE/PATH` or
 * `csi:DRIVER[:key=value,key=value]`. @throws Error saying which form was expected
 */
export function parseDataVolume(text: string): DataVolume {
  const [kind, ...rest] = text.split(':');
  const value = rest.join(':');
  if (kind === 'pvc' && dnsName.test(value) && value.length <= 253) return { kind: 'pvc', claimName: value };
  if (kind === 'hostPath' && value.startsWith('/') && !value.split('/').includes('..')) return { kind: 'hostPath', path: value };
  if (kind === 'csi') {
    const [driver = '', ...attrParts] = value.split(':');
    const attrs = attrParts.join(':');
    const volumeAttributes: Record<string, string> = {};
    for (const pair of attrs.split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new Error(`data volume ${JSON.stringify(text)}: CSI attribute ${JSON.stringify(pair)} is not key=value`);
      volumeAttributes[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    if (dnsName.test(driver)) return { kind: 'csi', driver, volumeAttributes };
  }
  throw new Error(`data volume ${JSON.stringify(text)}: expected pvc:CLAIM, hostPath:/PATH or csi:DRIVER[:key=value,…]`);
}

/** The pod's volume named `name`, read-only wherever the volume type has such a switch. */
export function dataVolumeSource(name: string, volume: DataVolume): V1Volume {
  switch (volume.kind) {
    case 'pvc':
      return { name, persistentVolumeClaim: { claimName: volume.claimName, readOnly: true } };
    case 'hostPath':
      // Directory: a node without the cache fails the pod at mount instead of running on an empty folder.
      return { name, hostPath: { path: volume.path, type: 'Directory' } };
    case 'csi':
      return { name, csi: { driver: volume.driver, readOnly: true, volumeAttributes: { ...volume.volumeAttributes } } };
  }
}
