/**
 * The web UI: plain files from packages/dashboard/public, served as they
 * are (no bundler): the page, its style sheet, and its ES modules (app.js,
 * the router, and one module per view under views/). Only files that exist
 * there at start-up are served, by name, so no path can reach outside the
 * directory. Each answer carries an ETag (see app.ts) and `no-cache`: the
 * browser asks again each time and gets a 304 when the file is unchanged.
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
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

/** Files of `dir` and of its subdirectories, as URL paths relative to it (`app.js`, `views/matrix.js`). */
function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return listFiles(join(dir, e.name), `${prefix}${e.name}/`);
    return TYPES[extname(e.name)] === undefined ? [] : [`${prefix}${e.name}`];
  });
}

export interface StaticOptions {
  /** Where the files are; default PUBLIC_DIR. */
  dir?: string;
  /** Called each time the page itself (index.html: every view is a hash route of it) is served: someone is looking. */
  onPage?: () => void;
}

export default async function staticRoutes(app: FastifyInstance, options: StaticOptions): Promise<void> {
  const dir = options.dir ?? PUBLIC_DIR;
  const files = new Set(listFiles(dir));

  async function serve(name: string, reply: FastifyReply): Promise<Buffer> {
    if (!files.has(name)) throw new HttpError(404, 'ENOTFOUND', `no such page: /${name}`);
    if (name === 'index.html') options.onPage?.();
    // Read on each request: the files are small, and an edited page shows on reload.
    const body = await readFile(join(dir, name));
    void reply.type(TYPES[extname(name)]!).header('cache-control', 'no-cache');
    return body;
  }

  const response = { 200: { type: 'string' }, ...errorResponses };
  const file = { type: 'string', maxLength: 100 } as const;
  app.get('/', { schema: { response } }, async (_request, reply) => serve('index.html', reply));
  app.get<{ Params: { file: string } }>(
    '/:file',
    { schema: { params: { type: 'object', required: ['file'], properties: { file } }, response } },
    async (request, reply) => serve(request.params.file, reply),
  );
  app.get<{ Params: { dir: string; file: string } }>(
    '/:dir/:file',
    { schema: { params: { type: 'object', required: ['dir', 'file'], properties: { dir: file, file } }, response } },
    async (request, reply) => serve(`${request.params.dir}/${request.params.file}`, reply),
  );
}
