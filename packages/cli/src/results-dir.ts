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

/**
 * --results `raw`, else `fallback`: the directory, absolute, how messages
 * name it, and whether it is missing (not there at all: a path through a
 * file is no directory either, but the file system says why when it is
 * opened). A file there is an InputError; `makes` is whether the command
 * makes the directory when it is missing, for its message to say so.
 */
export function resultsDirOf(raw: string | undefined, fallback: string, makes = true): { dir: string; named: string; missing: boolean } {
  // An empty name would resolve to the current directory: a results file written where nobody asked.
  if (raw !== undefined && raw.trim() === '') throw new InputError('--results needs a directory, not an empty name');
  const dir = resolve(raw ?? fallback);
  const named = raw !== undefined ? `--results ${raw}` : `the results directory ${dir}`;
  let isDir: boolean | null = null;
  let missing = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    // Missing (made when needed, or refused by a command that only reads), or not reachable (said when opened).
    missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
  if (isDir === false) throw new InputError(`${named}: ${dir} is a file, not a directory; name a directory${makes ? ' (it is made when missing)' : ''}`);
  return { dir, named, missing };
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
