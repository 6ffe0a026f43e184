import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { logVisibility } from '../../domain/log-visibility.js';
import { isFinal } from '../../domain/submission.js';
import { visibleSubmission } from '../access.js';
import { apiRoute } from '../api-route.js';
import type { ServerDeps } from '../server-deps.js';
import { submissionView } from './submission-routes.js';

/**
 * Server-sent events for one submission: `status` (the submission as JSON) whenever it changes,
 * `log` (text: first the log so far, then each new piece) while a run of the in-process worker
 * prints, where the competition shows that log whole, and `end` once it is final.
 * Changes made by workers in other processes are seen by re-reading the row every `pollMs`.
 */
export const submissionEvents = (ctx: ServerDeps, pollMs = 500): FastifyPluginAsync => async (app) => {
  apiRoute(app, {
    method: 'GET', url: '/submissions/:id/events', tag: 'submissions', access: 'owner',
    summary: 'Live status as server-sent events: `status` (the submission as JSON), `log` (smoke runs: the log so far, then new text as it is printed), `end`',
    params: z.object({ id: z.string() }),
    responses: { 200: { description: 'An event stream', contentType: 'text/event-stream' } },
    handler: async (req, reply, { params }) => {
    const { s: first, c: competition, host } = await visibleSubmission(ctx, req, params.id);
    const showPrivate = competition.privateRevealed || host;
    // Full runs' logs can leak test data: only what the competition shows whole is streamed.
    const streamLogs = host || logVisibility(competition.config.logs, first.kind) === 'full';

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    // Every line break (\r too, which SSE also reads as one) becomes a data line, so text arrives as printed.
    const send = (event: string, data: string) => res.write(`event: ${event}\n${data.split(/\r\n|\r|\n/).map((l) => `data: ${l}`).join('\n')}\n\n`);

    // The log so far first, so a page opened mid-run shows what was printed before it opened.
    const log = streamLogs && !isFinal(first.status) ? ctx.liveLogs.follow(first.id, (text) => send('log', text)) : undefined;
    if (log?.soFar) send('log', log.soFar);
    if (log?.truncated) send('log', '\n[… more was printed; the whole log is shown once the run ends]\n');
    let last = '';
    let closed = false;
    const check = async () => {
      const row = await ctx.submissions.get(first.id);
      if (!row || closed) return;
      const json = JSON.stringify(submissionView(row, { showPrivate, config: competition.config }));
      if (json !== last) send('status', (last = json));
      if (isFinal(row.status)) stop();
    };
    const onStatus = (id: string) => id === first.id && void check();
    const timer = setInterval(() => void check(), pollMs);
    const stop = () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      ctx.worker?.off('status', onStatus);
      log?.stop();
      send('end', '{}');
      res.end();
    };
    ctx.worker?.on('status', onStatus);
    req.raw.on('close', () => {
      closed = true;
      clearInterval(timer);
      ctx.worker?.off('status', onStatus);
      log?.stop();
    });
    await check();
    },
  });
};
