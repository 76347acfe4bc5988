/**
 * pcfarm run in the test's own process (cli.ts's runCli on buffers): for a
 * command that ends before any work, a usage error or input it cannot use,
 * the status and output a spawned pcfarm gives, without starting a Node
 * for it. What a real process adds (the streams, the exit code, a pasted
 * command) is tested by spawning it.
 */
import { runCli } from '../dist/cli.js';

export interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

export async function pcfarmHere(...args: string[]): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), tty: false, columns: 80 });
  return { status, stdout, stderr };
}
