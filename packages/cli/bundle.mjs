// The pcfarm command as one file with the core inlined: a cold start then
// loads one module instead of some seventy, which is most of the time to a
// first failure. The campaign, bench and server commands stay lazy chunks,
// and the farm and dashboard packages stay separate (their worker threads
// are files of their own).
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const dist = fileURLToPath(new URL('./dist/', import.meta.url));
// Chunk names carry a hash: drop the last build's.
for (const f of readdirSync(dist)) if (/^pcfarm.*\.mjs$/.test(f)) rmSync(`${dist}${f}`);
const bundle = await rolldown({
  input: `${dist}main.js`,
  platform: 'node',
  logLevel: 'warn',
  // The replay commands and the campaign limits are inlined too: loaded from the farm package they would bring a second core.
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && id !== '@pcfarm/core' && id !== '@pcfarm/farm/replay-commands' && id !== '@pcfarm/farm/limits',
});
await bundle.write({ dir: dist, format: 'esm', entryFileNames: 'pcfarm.mjs', chunkFileNames: 'pcfarm.[name].[hash].mjs' });
await bundle.close();
