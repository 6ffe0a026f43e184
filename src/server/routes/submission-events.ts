import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { isFinal } from '../../domain/submission.js';
import { requireUser } from '../build-server.js';
import { notFound } from '../http-error.js';
import { submissionView } from './submission-routes.js';

/**
 * Server-sent events for one submission: `status` (the submission as JSON) whenever it changes,
 * `log` (text) while a smoke run of the in-process worker prints, and `end` once it is final.
 * Changes made by workers in other processes are seen by re-reading the row every `pollMs`.
 */
export const submissionEvents = (ctx: AppContext, pollMs = 500): FastifyPluginAsync => async (app) => {
  app.get<{ Params: { id: string } }>('/submissions/:id/events', async (req, reply) => {
    const user = requireUser(req);
    const first = await ctx.submissions.get(req.params.id);
    if (!first || (first.user_id !== user.id && user.role !== 'admin')) throw notFound(`submission ${req.params.id}`);
    const competition = await ctx.competitions.byId(first.competition_id);
    const showPrivate = Boolean(competition?.privateRevealed) || user.role === 'admin';
    // Full runs' logs can leak test data: only smoke runs stream them.
    const streamLogs = first.kind === 'smoke';

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: string) => res.write(`event: ${event}\n${data.split('\n').map((l) => `data: ${l}`).join('\n')}\n\n`);

    let last = '';
    let closed = false;
    const check = async () => {
      const row = await ctx.submissions.get(first.id);
      if (!row || closed) return;
      const json = JSON.stringify(submissionView(row, { showPrivate }));
      if (json !== last) send('status', (last = json));
      if (isFinal(row.status)) stop();
    };
    const onStatus = (id: string) => id === first.id && void check();
    const onLog = (id: string, chunk: Buffer) => id === first.id && streamLogs && send('log', chunk.toString('utf8'));
    const timer = setInterval(() => void check(), pollMs);
    const stop = () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      ctx.worker?.off('status', onStatus);
      ctx.worker?.off('log', onLog);
      send('end', '{}');
      res.end();
    };
    ctx.worker?.on('status', onStatus);
    ctx.worker?.on('log', onLog);
    req.raw.on('close', () => {
      closed = true;
      clearInterval(timer);
      ctx.worker?.off('status', onStatus);
      ctx.worker?.off('log', onLog);
    });
    await check();
  });
};
