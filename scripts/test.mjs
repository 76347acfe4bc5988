// The test command (`npx --yes pnpm@10 test`): build what the tests import,
// then run Vitest with the tests' typecheck and lint beside it. Vitest keeps
// about 1.7 of 2 cores busy (tests wait on processes, Redis and a browser):
// the checks fill what it leaves instead of holding it up for 20 s first.
// Their output is shown once they end, after Vitest's, and only when they
// fail; the command fails when any of the three does.
import { spawn, spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}${delimiter}${process.env.PATH ?? ''}` };
/** The test files' own typecheck (noEmit): the packages are built just before, so this checks and writes nothing. */
const TEST_CONFIGS = ['core', 'cli', 'farm', 'dashboard'].map((p) => `packages/${p}/test.tsconfig.json`);

/** A step the rest needs, run to its end with its output shown as it comes. */
function first(label, command, args) {
  const r = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`test: ${label} failed (${r.status ?? r.signal}); nothing was tested`);
    process.exit(r.status ?? 1);
  }
}

/** A check beside Vitest: its output kept for the end. */
function beside(label, command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (e) => resolve({ label, status: 1, output: `${output}${e.message}\n` }));
    child.on('close', (status, signal) => resolve({ label, status: status ?? 1, output: signal === null ? output : `${output}killed by ${signal}\n` }));
  });
}

first('the build (tsc -b packages/cli)', 'tsc', ['-b', 'packages/cli']);
first('the bundle', process.execPath, ['packages/cli/bundle.mjs']);
const checks = [beside('typecheck of the tests', 'tsc', ['-b', ...TEST_CONFIGS]), beside('lint', 'eslint', ['.'])];
const vitest = await new Promise((resolve) => {
  const child = spawn('vitest', ['run', ...process.argv.slice(2)], { cwd: root, env, stdio: 'inherit' });
  child.on('error', (e) => resolve({ status: 1, message: e.message }));
  child.on('close', (status) => resolve({ status: status ?? 1 }));
});
let failed = vitest.status !== 0;
if (vitest.message !== undefined) console.error(`test: vitest did not start: ${vitest.message}`);
for (const c of await Promise.all(checks)) {
  if (c.status === 0) {
    console.log(`test: ${c.label} passed`);
    continue;
  }
  failed = true;
  console.error(`\ntest: ${c.label} failed (exit ${c.status}):\n${c.output}`);
}
process.exit(failed ? 1 : 0);
