#!/usr/bin/env node
/** pcfarm: the command line (cli.ts) on this process's streams. */
import { failed, runCli, type Std } from './cli.js';
import { EXIT } from './exit.js';

const std: Std = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  tty: process.stdout.isTTY === true,
  // Read at each status line: a terminal may be resized while a campaign runs.
  get columns() {
    return process.stdout.columns;
  },
};

// `pcfarm fuzz | head` closes the pipe early: that is the reader's choice, not a crash.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? EXIT.ok);
});

const argv = process.argv.slice(2);
// An error that escaped every handler is a bug too: said as one, with its status, not Node's exit 1 (a finding's).
const escaped = (e: unknown): never => {
  process.exitCode = failed(e, argv[0] ?? 'help', std);
  process.exit();
};
process.on('unhandledRejection', escaped);
process.on('uncaughtException', escaped);
void runCli(argv, std).then((status) => (process.exitCode = status));
