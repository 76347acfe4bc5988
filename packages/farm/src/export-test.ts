/**
 * A bucket as a regression test: a vitest file that replays the bucket's
 * minimized reproducer and asserts its signature (or, `fixed`, its absence),
 * to keep in the repository where a write-path design lives. The text is a
 * function of its inputs alone, so exporting twice writes the same file.
 */
import { relative } from 'node:path';
import { MODEL_VERSION } from '@pcfarm/core';
import type { Campaign } from './campaign.js';
import { FarmError } from './errors.js';
import type { Bucket } from './results.js';

export interface RegressionTestInput {
  campaign: Campaign;
  bucket: Bucket;
  /** Assert the bucket no longer reproduces (a fix's test) instead of that it does. */
  fixed: boolean;
  /** Where the test file will be written: a strategy file's path is written relative to it. */
  testPath: string;
  /** The pcfarm checkout whose built packages the test imports (absolute). */
  pcfarmRoot: string;
}

/** The test file's text. Throws ESTATE for a bucket with nothing to replay (a warning, or not yet minimized). */
export function regressionTest(input: RegressionTestInput): string {
  const { campaign, bucket, fixed } = input;
  if (bucket.severity !== 'failure') throw new FarmError('ESTATE', `bucket ${bucket.id} is a warning: its runs did not fail, so there is no failure to keep out (replay its witness scenario instead)`);
  if (bucket.minimized === null) throw new FarmError('ESTATE', `bucket ${bucket.id} is not minimized yet: run the campaign until it is (pcfarm campaign show ${campaign.id} says so), then export it`);
  const ref = campaign.spec.strategyFiles.find((r) => r.id === bucket.strategy) ?? null;
  const importPath = (pkg: string): string => JSON.stringify(`${input.pcfarmRoot.replace(/\/$/, '')}/packages/${pkg}/dist/index.js`);
  const strategyPath = ref === null ? null : relative(dirOf(input.testPath), ref.path) || ref.path;
  const claim = fixed ? `no longer ${verbOf(bucket)}: ${bucket.title}` : `still ${verbOf(bucket)}: ${bucket.title}`;
  const lines = [
    '/**',
    ` * A pcfarm regression test: bucket ${bucket.id} of campaign ${campaign.id} (${campaign.spec.name}),`,
    ` *   ${bucket.title}`,
    ` * Written by \`pcfarm export-test ${bucket.id} --campaign ${campaign.id}${fixed ? ' --fixed' : ''}\`. It replays the`,
    ` * bucket's minimized reproducer (${bucket.minimized.choices} choices, model ${MODEL_VERSION}) and asserts that it`,
    fixed ? ' * no longer fails so: it passes, or fails some other way.' : ' * still fails with the bucket\'s signature.',
    ...(ref === null
      ? []
      : [
          ` * The strategy comes from ${strategyPath} (source ${ref.sourceHash} when the bucket was`,
          ' * found); an edited file is replayed all the same: that is the point.',
        ]),
    ' * It imports pcfarm from the checkout it was exported from; where pcfarm\'s',
    " * packages are dependencies, import '@pcfarm/core' and '@pcfarm/farm' instead.",
    ' */',
    "import { expect, it } from 'vitest';",
    `import { decodeReproducer, Model, signatureOf } from ${importPath('core')};`,
    ...(ref === null ? [] : [`import { loadStrategyFile } from ${importPath('farm')};`, "import { fileURLToPath } from 'node:url';"]),
    '',
    `const REPRODUCER = ${JSON.stringify(bucket.minimized.reproducer)};`,
    `const SIGNATURE = ${JSON.stringify(bucket.title)};`,
    '',
    `it(${JSON.stringify(claim)}, () => {`,
    ...(ref === null
      ? ['  const r = decodeReproducer(REPRODUCER);', '  const outcome = new Model(r.config).run({ choices: r.choices });']
      : [
          `  const file = loadStrategyFile(fileURLToPath(new URL(${JSON.stringify(strategyPath!.startsWith('/') ? `file://${strategyPath}` : strategyPath!.startsWith('.') ? strategyPath : `./${strategyPath}`)}, import.meta.url)));`,
          '  const r = decodeReproducer(REPRODUCER, [file.id]);',
          '  const outcome = new Model(r.config, { strategies: [file.strategy] }).run({ choices: r.choices });',
        ]),
    fixed ? "  expect(signatureOf(outcome)?.title ?? 'passes').not.toBe(SIGNATURE);" : "  expect(signatureOf(outcome)?.title ?? 'passes').toBe(SIGNATURE);",
    '});',
    '',
  ];
  return lines.join('\n');
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : path.slice(0, i) || '/';
}

function verbOf(b: Bucket): string {
  switch (b.kind) {
    case 'deadlock':
      return 'deadlocks';
    case 'livelock':
      return 'livelocks';
    case 'kernel-bug':
      return 'oopses';
    default:
      return `shows ${b.kind}`;
  }
}
