/**
 * The web UI: plain files from packages/dashboard/public, served as they
 * are (no bundler). Only files that exist there at start-up are served, by
 * name, so no path can reach outside the directory.
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';
import { errorResponses } from './schemas.js';

/** The UI's files: next to dist/ and src/, so both the build and the sources find them. */
export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export default async function staticRoutes(app: FastifyInstance, options: { dir?: string }): Promise<void> {
  const dir = options.dir ?? PUBLIC_DIR;
  const files = new Set(readdirSync(dir).filter((f) => TYPES[extname(f)] !== undefined));

  async function serve(name: string, reply: import('fastify').FastifyReply): Promise<Buffer> {
    if (!files.has(name)) throw new HttpError(404, 'ENOTFOUND', `no such page: /${name}`);
    // Read on each request: the files are small, and an edited page shows on reload.
    const body = await readFile(join(dir, name));
    void reply.type(TYPES[extname(name)]!).header('cache-control', 'no-cache');
    return body;
  }

  const response = { 200: { type: 'string' }, ...errorResponses };
  app.get('/', { schema: { response } }, async (_request, reply) => serve('index.html', reply));
  app.get<{ Params: { file: string } }>(
    '/:file',
    { schema: { params: { type: 'object', required: ['file'], properties: { file: { type: 'string', maxLength: 100 } } }, response } },
    async (request, reply) => serve(request.params.file, reply),
  );
}
