// The pcfarm command as one file with the core inlined: a cold start then
// loads one module instead of some seventy, which is most of the time to a
// first failure. The campaign, bench and server commands stay lazy chunks,
// and the farm and dashboard packages stay separate (their worker threads
// are files of their own).
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

/** What the bundle takes in besides the CLI's own modules: the core, and the farm's modules that build on it. */
const INLINED = ['@pcfarm/core', '@pcfarm/farm/replay-commands', '@pcfarm/farm/limits', '@pcfarm/farm/strategy-files', '@pcfarm/farm/certificates'];
const dist = fileURLToPath(new URL('./dist/', import.meta.url));
// Chunk names carry a hash: drop the last build's.
for (const f of readdirSync(dist)) if (/^pcfarm.*\.mjs$/.test(f)) rmSync(`${dist}${f}`);
const bundle = await rolldown({
  input: `${dist}main.js`,
  platform: 'node',
  logLevel: 'warn',
  // The replay commands, the campaign limits, the strategy-file loader and the certificates are inlined too: loaded from the farm package
  // they would bring a second core, and a strategy file loaded against another core's API would run in this one's Model.
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && !INLINED.includes(id),
});
// Rolldown puts the core in a chunk of its own once the lazily loaded strategy-file loader shares it with the entry
// (rolldown issue 10731: a module the entry already loaded still gets its own chunk); named so, not after its folder.
const codeSplitting = { groups: [{ name: 'core', test: /[\\/]packages[\\/]core[\\/]/ }] };
await bundle.write({ dir: dist, format: 'esm', entryFileNames: 'pcfarm.mjs', chunkFileNames: 'pcfarm.[name].[hash].mjs', codeSplitting });
await bundle.close();
