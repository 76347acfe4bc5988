/**
 * The tests' Redis: a real redis-server on a free port with its data in a
 * temporary directory, stopped (and its directory removed) by the test.
 * Where redis-server is missing it is installed with apt-get, as CI's
 * machine allows; where that fails too, the error says what to install.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '../dist/index.js';

function installed(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function install(): void {
  const apt = (args: string[]) => spawnSync('apt-get', args, { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 300_000 });
  if (apt(['install', '-y', 'redis-server']).status !== 0) apt(['update']);
  if (!installed() && apt(['install', '-y', 'redis-server']).status !== 0) {
    throw new Error('redis-server is not installed and apt-get could not install it: install redis-server (apt-get install redis-server) to run the farm tests');
  }
}

/** A test's redis-server; `close` stops it and removes its data. */
export interface TestRedis {
  server: RedisServer;
  url: string;
  close(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  if (!installed()) install();
  const dir = mkdtempSync(join(tmpdir(), 'pcfarm-redis-'));
  const server = await RedisServer.start({ dir });
  return {
    server,
    url: server.url,
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
