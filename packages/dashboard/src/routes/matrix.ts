/**
 * The strategy x scenario verdict matrix with the fault-free costs. The
 * first request for a number of runs computes it (see MatrixCache: about
 * 14 s for the default 1000 runs, off the main thread); later ones are
 * answered from memory.
 */
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { MATRIX_RUNS } from '../matrix.js';
import { errorResponses, matrixSchema } from '../schemas.js';

export default async function matrixRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get<{ Querystring: { runs: number } }>(
    '/api/matrix',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { runs: { type: 'integer', minimum: 1, maximum: MATRIX_RUNS.max, default: MATRIX_RUNS.default } },
        },
        response: { 200: matrixSchema, ...errorResponses },
      },
    },
    async (request) => ctx.matrix.get(request.query.runs),
  );
}
