#!/usr/bin/env node
import { performance } from 'node:perf_hooks';
import { parseArgs, UsageError } from './args.js';
import { fuzzFirstFailure, list, replay, USAGE, type Io } from './commands.js';
import type { Terminal } from './fuzz.js';
import { matrix } from './matrix.js';
import { minimizeCommand } from './minimize.js';
import { verifyCommand } from './verify.js';

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  now: () => performance.now(),
};

// `pcfarm fuzz | head` closes the pipe early: that is the reader's choice, not a crash.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

/** Whether the status line is on screen: a printed line must clear it first. */
let liveShown = false;

const term: Terminal = {
  now: io.now,
  out(line) {
    if (liveShown) process.stdout.write('\r\x1b[K');
    liveShown = false;
    io.out(line);
  },
  live: process.stdout.isTTY
    ? (line) => {
        process.stdout.write(`\r\x1b[K${line.slice(0, (process.stdout.columns || 120) - 1)}`);
        liveShown = line !== '';
      }
    : null,
  onInterrupt(stop) {
    // The first Ctrl-C stops at the next batch boundary and prints the summary; a second one quits now.
    const first = () => {
      process.stdout.write('\nstopping: finishing the batches in flight (Ctrl-C again to quit now)\n');
      stop();
      process.once('SIGINT', () => process.exit(130));
    };
    process.once('SIGINT', first);
    process.once('SIGTERM', stop);
    return () => {
      process.removeListener('SIGINT', first);
      process.removeListener('SIGTERM', stop);
    };
  },
};

function main(argv: readonly string[]): number | Promise<number> {
  const p = parseArgs(argv, new Set(['help', 'json', 'quick', 'smoke', 'first-failure', 'new', 'no-minimize', 'no-dashboard', 'read-only', 'farm']));
  switch (p.command) {
    case 'fuzz':
      // The campaign pulls in the farm and its threads; the quick hunt loads only the core, for a fast cold start.
      if (p.options.has('first-failure') || p.options.has('runs')) return fuzzFirstFailure(p, io);
      return import('./fuzz.js').then((m) => m.fuzz(p, term));
    case 'replay':
      return replay(p, io);
    case 'minimize':
      return minimizeCommand(p, io);
    case 'list':
      return list(io);
    case 'matrix':
      return matrix(p, io);
    case 'verify':
      return verifyCommand(p, io);
    case 'bench':
      if (p.options.has('farm')) return import('./farm-throughput.js').then((m) => m.benchFarm(p, io));
      return import('./bench.js').then((m) => m.bench(p, io));
    case 'coordinator':
      return import('./farm-commands.js').then((m) => m.coordinatorCommand(p, io));
    case 'worker':
      return import('./farm-commands.js').then((m) => m.workerCommand(p, io));
    case 'campaign':
      return import('./farm-commands.js').then((m) => m.campaignCommand(p, io));
    case 'dashboard':
      // The server and its dependencies load only for this command.
      return import('./dashboard-command.js').then((m) => m.dashboardCommand(p, io));
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(p.command)}; commands: fuzz, replay, minimize, verify, matrix, bench, dashboard, coordinator, worker, campaign, list, help`);
  }
}

function usageFailure(e: unknown): void {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`pcfarm: ${e.message}\n${USAGE}`);
  process.exitCode = 2;
}

try {
  const status = main(process.argv.slice(2));
  // fuzz and bench wait for worker threads; every other command is synchronous.
  if (typeof status === 'number') process.exitCode = status;
  else status.then((s) => (process.exitCode = s), usageFailure);
} catch (e) {
  usageFailure(e);
}
