/**
 * The strategy x scenario x blocks-per-page verdict matrix with the
 * fault-free costs. The first request for a number of runs and blocks per
 * page computes it (see MatrixCache: bounded, shared, cancelled when every
 * request for it has gone); later ones are answered from memory. Each
 * answer adds what `pcfarm verify` kept of the cells in this store (`kept`):
 * searches longer than the matrix's own, read fresh every time.
 */
import { BLOCKS_PER_PAGE, MODEL_VERSION } from '@pcfarm/core';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { MATRIX_RUNS } from '../matrix.js';
import { perMinute, RATE_LIMITS } from '../rate-limits.js';
import { errorResponses, matrixSchema } from '../schemas.js';

export default async function matrixRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get<{ Querystring: { runs: number; blocksPerPage: number[]; verify: boolean } }>(
    '/api/matrix',
    {
      config: perMinute(RATE_LIMITS.matricesPerMinute),
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            runs: { type: 'integer', minimum: 1, maximum: MATRIX_RUNS.max, default: MATRIX_RUNS.default },
            // ?blocksPerPage=1&blocksPerPage=4 (one value is a list of one); all of them when not given.
            blocksPerPage: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', enum: [...BLOCKS_PER_PAGE] }, default: [...BLOCKS_PER_PAGE] },
            // ?verify=true: each cell's bound too (MATRIX_VERIFY), a computation of its own.
            verify: { type: 'boolean', default: false },
          },
        },
        response: { 200: matrixSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      // The client gone before its answer (a closed tab, a new choice on the page) no longer waits:
      // the response closing unfinished is the only sign of it (the request's own 'close' fires once its body is read).
      const gone = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      const matrix = await ctx.matrix.get(request.query.runs, request.query.blocksPerPage, gone.signal, request.query.verify);
      // Beside the cells' quick bounds, what pcfarm verify kept of them in this store: of this model, built-in strategies (the matrix's).
      const kept = (await ctx.store.certificates()).filter((c) => c.modelVersion === MODEL_VERSION && c.strategyFile === null && request.query.blocksPerPage.includes(c.blocksPerPage));
      return { ...matrix, kept };
    },
  );
}
