/**
 * A results directory as the command line names it, for every command that
 * takes one (open-store.ts's openResults, verify's --results): resolved,
 * refused when it is a file, and the file system's refusals of it said as
 * input the user can mend. File system only: verify loads this without the
 * farm package.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from './args.js';

/** --results `raw`, else `fallback`: the directory, absolute, and how messages name it. A file there is an InputError. */
export function resultsDirOf(raw: string | undefined, fallback: string): { dir: string; named: string } {
  // An empty name would resolve to the current directory: a results file written where nobody asked.
  if (raw !== undefined && raw.trim() === '') throw new InputError('--results needs a directory, not an empty name');
  const dir = resolve(raw ?? fallback);
  const named = raw !== undefined ? `--results ${raw}` : `the results directory ${dir}`;
  let isDir: boolean | null = null;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // Missing (made when needed, or EBADRESULTS when read-only), or not reachable (said when opened).
  }
  if (isDir === false) throw new InputError(`${named}: ${dir} is a file, not a directory; name a directory (it is made when missing)`);
  return { dir, named };
}

/**
 * `run`, with a refusal of the file system (a path through a file, a
 * directory not writable, a full disk) said by `say` of its message as an
 * InputError: the user's to mend, not a bug of pcfarm. Anything else is
 * thrown as it is.
 */
export function fileSystemRefusal<T>(run: () => T, say: (message: string) => string): T {
  try {
    return run();
  } catch (e) {
    const errno = e as NodeJS.ErrnoException;
    if (typeof errno.code === 'string' && typeof errno.syscall === 'string') throw new InputError(say(errno.message));
    throw e;
  }
}
