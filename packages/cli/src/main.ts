#!/usr/bin/env node
import { performance } from 'node:perf_hooks';
import { parseArgs, UsageError } from './args.js';
import { bench } from './bench.js';
import { fuzz, list, replay, USAGE, type Io } from './commands.js';
import { matrix } from './matrix.js';
import { minimizeCommand } from './minimize.js';

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  now: () => performance.now(),
};

function main(argv: readonly string[]): number | Promise<number> {
  const p = parseArgs(argv, new Set(['help', 'json', 'quick', 'smoke']));
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
    case 'bench':
      return bench(p, io);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(p.command)}; commands: fuzz, replay, minimize, matrix, bench, list, help`);
  }
}

function usageFailure(e: unknown): void {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`pcfarm: ${e.message}\n${USAGE}`);
  process.exitCode = 2;
}

try {
  const status = main(process.argv.slice(2));
  // bench waits for its worker threads; every other command is synchronous.
  if (typeof status === 'number') process.exitCode = status;
  else status.then((s) => (process.exitCode = s), usageFailure);
} catch (e) {
  usageFailure(e);
}
