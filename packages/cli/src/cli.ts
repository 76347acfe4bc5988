/**
 * The pcfarm command line as a function: parse, dispatch to a command, and
 * turn every way it ends into an exit status and (for an error) one line on
 * stderr. main.ts gives it the process's streams.
 */
import { performance } from 'node:perf_hooks';
import { ConfigError } from '@pcfarm/core';
import { checkOptions, InputError, noPositionals, parseArgs, UsageError, type Parsed } from './args.js';
import { EXIT, farmErrorExit } from './exit.js';
import { fuzzFirstFailure } from './first-failure.js';
import type { Io, Terminal } from './io.js';
import { list } from './list.js';
import { matrix } from './matrix.js';
import { minimizeCommand } from './minimize.js';
import { replay } from './replay.js';
import { withStrategyFiles } from './strategy-files.js';
import { COMMANDS, commandHelp, FLAGS, fullHelp, isCommand, OPTIONS, REPEATABLE, seeHelp } from './usage.js';
import { verifyCommand } from './verify.js';

/** Where a run of pcfarm writes: the process's streams (main.ts), or a test's buffers. */
export interface Std {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether standard output is a terminal, and its width: the live status line needs both. */
  tty: boolean;
  columns: number;
}

/** What the commands write through, made from `std`. */
function ioOf(std: Std): { io: Io; term: Terminal } {
  const io: Io = {
    out: (line) => std.stdout(`${line}\n`),
    err: (line) => std.stderr(`${line}\n`),
    now: () => performance.now(),
  };
  /** Whether the status line is on screen: a printed line must clear it first. */
  let liveShown = false;
  const term: Terminal = {
    now: io.now,
    err: io.err,
    out(line) {
      if (liveShown) std.stdout('\r\x1b[K');
      liveShown = false;
      io.out(line);
    },
    live: std.tty
      ? (line) => {
          std.stdout(`\r\x1b[K${line.slice(0, (std.columns || 120) - 1)}`);
          liveShown = line !== '';
        }
      : null,
  onInterrupt(stop) {
    // The first Ctrl-C stops at the next batch boundary and prints the summary; a second one quits now.
    const first = () => {
      std.stdout('\nstopping: finishing the batches in flight (Ctrl-C again to quit now)\n');
      stop();
      process.once('SIGINT', () => process.exit(EXIT.interrupted));
    };
    process.once('SIGINT', first);
    process.once('SIGTERM', stop);
    return () => {
      process.removeListener('SIGINT', first);
      process.removeListener('SIGTERM', stop);
    };
  },
  };
  return { io, term };
}

/** pcfarm help [COMMAND]: every command's help, or one's. */
function help(p: Parsed, std: Std): number {
  checkOptions(p, OPTIONS.help);
  const [topic, ...more] = p.positionals;
  if (more.length > 0) throw new UsageError(`'help' takes one command, not ${p.positionals.join(' ')}`);
  if (topic === undefined) std.stdout(fullHelp());
  else if (isCommand(topic)) std.stdout(commandHelp(topic));
  else throw new UsageError(`no command ${JSON.stringify(topic)}; commands: ${COMMANDS.join(', ')}`);
  return EXIT.ok;
}

function run(p: Parsed, std: Std): number | Promise<number> {
  const { io, term } = ioOf(std);
  // `pcfarm COMMAND --help` is `pcfarm help COMMAND`, whatever else the line holds.
  if (p.options.has('help') && isCommand(p.command)) return help({ ...p, command: 'help', options: new Map(), positionals: [p.command], missing: [], lists: new Map(), repeated: [] }, std);
  switch (p.command) {
    case 'fuzz':
      // The campaign pulls in the farm and its threads; the quick hunt loads only the core, for a fast cold start.
      if (p.options.has('first-failure') || p.options.has('runs')) return withStrategyFiles(p, OPTIONS.firstFailure, (files) => fuzzFirstFailure(p, io, files));
      return withStrategyFiles(p, OPTIONS.fuzz, (files) => import('./fuzz.js').then((m) => m.fuzz(p, term, files)));
    case 'replay':
      return withStrategyFiles(p, OPTIONS.replay, (files) => replay(p, io, files));
    case 'minimize':
      return withStrategyFiles(p, OPTIONS.minimize, (files) => minimizeCommand(p, io, files));
    case 'list':
      checkOptions(p, OPTIONS.list);
      noPositionals(p);
      return list(io);
    case 'matrix':
      return withStrategyFiles(p, OPTIONS.matrix, (files) => matrix(p, io, files));
    case 'verify':
      return withStrategyFiles(p, OPTIONS.verify, (files) => verifyCommand(p, io, files));
    case 'strategy':
      return import('./strategy-command.js').then((m) => m.strategyCommand(p, io));
    case 'diff':
      return import('./diff-command.js').then((m) => m.diffCommand(p, io));
    case 'export-test':
      return import('./diff-command.js').then((m) => m.exportTestCommand(p, io));
    case 'bench':
      if (p.options.has('farm')) return import('./farm-throughput.js').then((m) => m.benchFarm(p, io));
      if (p.options.has('soak')) return import('./bench-soak.js').then((m) => m.benchSoak(p, io));
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
      return help(p, std);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(p.command)}; commands: ${COMMANDS.join(', ')}`);
  }
}

/** An error the farm raised (packages/farm, errors.ts), known by its name and code without loading the farm. */
function farmErrorCode(e: unknown): string | null {
  return e instanceof Error && e.name === 'FarmError' && typeof (e as { code?: unknown }).code === 'string' ? (e as unknown as { code: string }).code : null;
}

/**
 * Every way a command ends in an error, as one line on stderr and its exit
 * status: a usage error with where the command's help is; input it cannot
 * use, or a FarmError, alone; anything else is a bug of pcfarm, with its
 * stack, and never the status of a finding.
 */
export function failed(e: unknown, command: string, std: Pick<Std, 'stderr'>): number {
  const code = farmErrorCode(e);
  if (e instanceof UsageError) {
    std.stderr(`pcfarm: ${e.message}\n${seeHelp(command)}\n`);
    return EXIT.usage;
  }
  if (e instanceof InputError || e instanceof ConfigError) {
    std.stderr(`pcfarm: ${e.message}\n`);
    return EXIT.usage;
  }
  if (code !== null) {
    std.stderr(`pcfarm: ${(e as Error).message}\n`);
    return farmErrorExit(code);
  }
  std.stderr(`pcfarm: a bug of pcfarm, please report it with the command that caused it:\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT.bug;
}

/**
 * pcfarm with arguments `argv` (without node and the script), writing to
 * `std`; its exit status. main.ts runs it on the process's streams; a test
 * runs it on buffers, in its own process, for what ends before any work (a
 * usage error) without starting a Node for it.
 */
export async function runCli(argv: readonly string[], std: Std): Promise<number> {
  const command = argv[0] ?? 'help';
  try {
    return await run(parseArgs([...argv], FLAGS, REPEATABLE), std);
  } catch (e) {
    return failed(e, command, std);
  }
}

