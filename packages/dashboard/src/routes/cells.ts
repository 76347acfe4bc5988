/**
 * GET /api/campaigns/:id/cells: each cell of a campaign, what its fuzzing
 * and `pcfarm verify` say of it ("clean in 2,000,000 seeds; verified to 3
 * preemptions"); GET /api/certificates: every certificate and
 * counterexample the store keeps, of every model version (certificates.ts).
 * A strategy file is named, not located, as everywhere on the page.
 */
import { cellEvidence, evidenceText, type Certificate } from '@pcfarm/farm/local';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { campaignParams, cellsSchema, certificatesSchema, errorResponses, noQuery } from '../schemas.js';
import { publicStrategyFile } from '../strategy-files.js';

/** A certificate as a client sees it: its strategy file by name. */
function publicCertificate(c: Certificate) {
  return { ...c, strategyFile: c.strategyFile === null ? null : publicStrategyFile(c.strategyFile) };
}

export default async function cellRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const { store } = ctx;
  app.get<{ Params: { id: string } }>('/api/campaigns/:id/cells', { schema: { params: campaignParams, querystring: noQuery, response: { 200: cellsSchema, ...errorResponses } } }, async (request) => {
    const id = request.params.id;
    const campaign = await store.getCampaign(id);
    const [done, buckets, certificates] = [await store.doneBatches(id), await store.buckets(id), await store.certificates()];
    const cells = cellEvidence(campaign, done, buckets, certificates);
    return {
      modelVersion: campaign.modelVersion,
      cells: cells.map((e) => ({ ...e, certificates: e.certificates.map(publicCertificate), text: evidenceText(e, campaign.spec.scheduler) })),
    };
  });
  app.get('/api/certificates', { schema: { querystring: noQuery, response: { 200: certificatesSchema, ...errorResponses } } }, async () => ({
    certificates: (await store.certificates()).map(publicCertificate),
  }));
}
