/** `pcfarm list`: what there is to name in the other commands' options. */
import { DEFAULTS, DESCRIPTIONS, SCENARIOS, SCHEDULERS, STRATEGIES } from '@pcfarm/core';
import { CAMPAIGN_SCHEDULERS } from '@pcfarm/farm/limits';
import { EXIT } from './exit.js';
import type { Io } from './io.js';

export function list(io: Io): number {
  io.out('strategies:');
  for (const s of STRATEGIES) io.out(`  ${s.padEnd(24)} ${DESCRIPTIONS[s]}`);
  io.out('scenarios:');
  for (const s of SCENARIOS) io.out(`  ${s.padEnd(24)} ${DESCRIPTIONS[s]}`);
  io.out(`schedulers: ${SCHEDULERS.join(', ')} (default ${DEFAULTS.scheduler}; a campaign runs ${CAMPAIGN_SCHEDULERS.join(', ')})`);
  return EXIT.ok;
}
