/**
 * Strategy files as the dashboard shows them, and finding one to run. A
 * campaign records each file's id, source hash and path; the path is the
 * operator's business (it names the server's directories), so a client is
 * shown the file's name only, as error messages are (errors.ts).
 */
import { basename } from 'node:path';
import { FarmError, type Campaign, type CampaignSpec, type StrategyFileRef, type StrategyResolver } from '@pcfarm/farm/local';
import type { FileStrategy } from './replay.js';

/** A strategy file as a client sees it. */
export interface PublicStrategyFile {
  id: string;
  /** 16 hex digits of the SHA-256 of the source B ran. */
  sourceHash: string;
  /** The file's name, without its directory. */
  file: string;
}

export function publicStrategyFile(ref: StrategyFileRef): PublicStrategyFile {
  return { id: ref.id, sourceHash: ref.sourceHash, file: basename(ref.path) };
}

/** A spec as a client sees it: its strategy files by name. */
export function publicSpec(spec: CampaignSpec): Omit<CampaignSpec, 'strategyFiles'> & { strategyFiles: PublicStrategyFile[] } {
  return { ...spec, strategyFiles: spec.strategyFiles.map(publicStrategyFile) };
}

/** The file a campaign ran `strategy` from, or null for a built-in strategy. */
export function strategyFileOf(c: Campaign, strategy: string): StrategyFileRef | null {
  return c.spec.strategyFiles.find((r) => r.id === strategy) ?? null;
}

/**
 * The strategy file to run a campaign's `strategy` with: null for a
 * built-in, its file's when this machine has that version of it; otherwise
 * ENOSTRATEGYFILE (409), saying what to do (`cli`: the command that does it
 * where the file is).
 */
export function fileStrategyFor(c: Campaign, strategy: string, resolve: StrategyResolver, cli: string): FileStrategy | null {
  const ref = strategyFileOf(c, strategy);
  if (ref === null) return null;
  try {
    return { file: basename(ref.path), strategy: resolve(ref) };
  } catch (e) {
    if (!(e instanceof FarmError)) throw e;
    throw new FarmError(
      'ENOSTRATEGYFILE',
      `campaign ${c.id} ran strategy file ${basename(ref.path)} (${ref.id}, source ${ref.sourceHash}), which is not on the dashboard's machine as the campaign ran it: moved, deleted or edited since. Put that version back where the campaign found it, or run ${cli} where it is`,
    );
  }
}
