import { isStaleRunName } from '../host/stale-runs.js';
import type { EngineClient } from './engine-client.js';

/** Labels of every run container: the executor that made it, and the run's name (see `runName`). */
export const runLabels = { executor: 'holdout.executor', run: 'holdout.run' } as const;

interface ListedContainer {
  Id: string;
  Labels: Record<string, string> | null;
}

/**
 * Removes the containers of runs whose worker died on this host (a worker killed with SIGKILL
 * never removes its containers): those labelled by this executor with a run name whose owner is
 * gone. Containers of live workers, of other hosts' pid namespaces, and any other are left alone.
 * @returns the run names swept
 */
export async function sweepStaleContainers(client: EngineClient, alive?: (pid: number) => boolean): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`${runLabels.executor}=docker`] }));
  const listed = await client.json<ListedContainer[]>('GET', `/containers/json?all=true&filters=${filters}`);
  const swept: string[] = [];
  for (const container of listed ?? []) {
    const name = container.Labels?.[runLabels.run];
    if (name === undefined || !isStaleRunName(name, alive)) continue;
    await client.text('DELETE', `/containers/${container.Id}?force=true&v=true`);
    swept.push(name);
  }
  return swept;
}
