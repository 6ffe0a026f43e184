import type { FastifyPluginAsync } from 'fastify';
import { submissionStatuses } from '../../domain/submission.js';
import { histogram, prometheusText, type MetricFamily } from '../prometheus-text.js';
import type { ServerDeps } from '../server-deps.js';

const durationBounds = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600];

/**
 * GET /metrics in Prometheus' text format, computed from the database on each scrape so that it
 * covers every worker process on every host, not only this one: queue depth by status, finished
 * submissions by result, run and scoring durations, workers alive.
 * @remarks Counts only, nothing about who submitted what; restrict it at the network edge if even
 * those are private.
 */
export const metricsRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  app.get('/metrics', async (_req, reply) => {
    const byStatus = await deps.db.selectFrom('submissions').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    const finished = await deps.db
      .selectFrom('submissions')
      .select(['status', 'reason', 'run_ms', 'started_at', 'finished_at'])
      .where('status', 'in', ['scored', 'failed', 'cancelled'])
      .execute();
    const workers = await deps.workers.list(deps.config.leaseMs);

    const results = new Map<string, { status: string; reason: string; n: number }>();
    for (const r of finished) {
      const key = `${r.status}/${r.reason ?? ''}`;
      const entry = results.get(key) ?? { status: r.status, reason: r.reason ?? '', n: 0 };
      entry.n++;
      results.set(key, entry);
    }
    const runSeconds = finished.filter((r) => r.run_ms !== null).map((r) => Number(r.run_ms) / 1000);
    // Time after the run: validation and scoring (and recording), per finished attempt.
    const scoringSeconds = finished
      .filter((r) => r.status === 'scored' && r.run_ms !== null && r.started_at && r.finished_at)
      .map((r) => Math.max(0, (Date.parse(r.finished_at ?? '') - Date.parse(r.started_at ?? '') - Number(r.run_ms)) / 1000));

    const families: MetricFamily[] = [
      {
        name: 'holdout_submissions',
        help: 'Submissions by status (queued and running are the queue).',
        type: 'gauge',
        samples: submissionStatuses.map((status) => ({ labels: { status }, value: Number(byStatus.find((r) => r.status === status)?.n ?? 0) })),
      },
      {
        name: 'holdout_runs_total',
        help: 'Finished submissions by final status and failure reason.',
        type: 'counter',
        samples: [...results.values()].map((r) => ({ labels: { status: r.status, reason: r.reason }, value: r.n })),
      },
      histogram('holdout_run_duration_seconds', 'Wall time of the runs of finished submissions.', runSeconds, durationBounds),
      histogram('holdout_scoring_duration_seconds', 'Time from the end of a run to its recorded score.', scoringSeconds, durationBounds),
      { name: 'holdout_workers_alive', help: 'Registered workers that sent a heartbeat within a lease.', type: 'gauge', samples: [{ value: workers.filter((w) => w.alive).length }] },
      { name: 'holdout_workers_lost', help: 'Registered workers silent for longer than a lease.', type: 'gauge', samples: [{ value: workers.filter((w) => !w.alive).length }] },
    ];
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(prometheusText(families));
  });
};
