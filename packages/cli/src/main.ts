#!/usr/bin/env node
import { performance } from 'node:perf_hooks';
import { parseArgs, UsageError } from './args.js';
import { fuzz, list, replay, USAGE, type Io } from './commands.js';
import { matrix } from './matrix.js';
import { minimizeCommand } from './minimize.js';

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  now: () => performance.now(),
};

function main(argv: readonly string[]): number {
  const p = parseArgs(argv, new Set(['help', 'json']));
  switch (p.command) {
    case 'fuzz':
      return fuzz(p, io);
    case 'replay':
      return replay(p, io);
    case 'minimize':
      return minimizeCommand(p, io);
    case 'list':
      return list(io);
    case 'matrix':
      return matrix(p, io);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(p.command)}; commands: fuzz, replay, minimize, matrix, list, help`);
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`pcfarm: ${e.message}\n${USAGE}`);
  process.exitCode = 2;
}
