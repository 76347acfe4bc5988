import { EmbeddedStore, RedisServer, RedisStore } from '@pcfarm/farm';
import { afterAll, beforeAll } from 'vitest';
import { diffSuite } from './diff-suite.js';
import { tempDir } from './helpers.js';
import { routeSuite } from './route-suite.js';

routeSuite('embedded store', async () => EmbeddedStore.open(tempDir()));
diffSuite('embedded store', async () => EmbeddedStore.open(tempDir()));

// The same routes on the farm's store, over a private redis-server (the farm's own test server).
let redis: RedisServer | null = null;
beforeAll(async () => {
  redis = await RedisServer.start({ dir: tempDir('pcfarm-dash-redis-') });
});
afterAll(async () => {
  await redis?.stop();
});
routeSuite('Redis store', async () => RedisStore.connect(redis!.url, { prefix: `dash${process.pid}` }));
diffSuite('Redis store', async () => RedisStore.connect(redis!.url, { prefix: `diff${process.pid}` }));
