/**
 * Server-sent events: GET /api/events follows every running campaign (the
 * campaign list), GET /api/events?campaign=ID one campaign (its page).
 * Events, each sent only when it has news: `stats` (runs, runs per second,
 * coverage, buckets, progress, the newest sample), `bucket` (a bucket new to
 * the stream, whole), `bucket-update` (what changed of one already sent) and
 * `workers` (the farm's workers and their health). A comment line is sent
 * every 15 s so proxies keep the connection, and the listener is dropped
 * when the client goes. The stream is gzipped for a client that takes it,
 * flushed after each event: its events repeat their field names, which
 * compress to next to nothing.
 */
import { constants, createGzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import type { LiveEvent } from '../live.js';
import { bucketEventSchema, bucketUpdateEventSchema, deletedEventSchema, errorResponses, idSchema, statsEventSchema, workersEventSchema } from '../schemas.js';

/** Seconds between keep-alive comments. */
export const HEARTBEAT_MS = 15_000;

export default async function eventRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const streams = new Set<() => void>();
  // An open stream would keep close() waiting for ever: end them all first.
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  app.get<{ Querystring: { campaign?: string } }>(
    '/api/events',
    {
      schema: {
        querystring: { type: 'object', additionalProperties: false, properties: { campaign: idSchema } },
        response: { 200: { type: 'string', description: 'text/event-stream of stats, bucket and workers events' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const campaign = request.query.campaign;
      // An unknown campaign is a 404 now, not a stream that never says anything.
      if (campaign !== undefined) await ctx.store.getCampaign(campaign);
      const serialize = {
        stats: reply.compileSerializationSchema(statsEventSchema),
        bucket: reply.compileSerializationSchema(bucketEventSchema),
        'bucket-update': reply.compileSerializationSchema(bucketUpdateEventSchema),
        workers: reply.compileSerializationSchema(workersEventSchema),
        deleted: reply.compileSerializationSchema(deletedEventSchema),
      };
      reply.hijack();
      const res = reply.raw;
      const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        ...(gzip ? { 'content-encoding': 'gzip', vary: 'accept-encoding' } : {}),
      });
      // Each write flushed at once: an event must not wait in the compressor for the next one.
      const zipped = gzip ? createGzip({ flush: constants.Z_SYNC_FLUSH }) : null;
      zipped?.pipe(res);
      const write = (text: string): void => {
        if (zipped !== null) zipped.write(text);
        else res.write(text);
      };
      write('retry: 2000\n\n');
      const send = (e: LiveEvent): void => {
        write(`event: ${e.type}\ndata: ${serialize[e.type](e as unknown as Record<string, unknown>)}\n\n`);
      };
      const heartbeat = setInterval(() => write(': keep-alive\n\n'), HEARTBEAT_MS);
      const unsubscribe = ctx.hub.subscribe(campaign ?? '*', send);
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        unsubscribe();
        streams.delete(end);
        if (zipped !== null) zipped.end();
        else res.end();
      };
      streams.add(end);
      request.raw.on('close', end);
      res.on('close', end);
      zipped?.on('error', end);
      res.on('error', end);
    },
  );
}
