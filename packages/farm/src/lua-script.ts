/**
 * The farm's Lua scripts: each a file of packages/farm/lua/ whose header
 * names its KEYS and ARGV (as BullMQ's own scripts do), read once and run
 * by its SHA1, loaded again when Redis lost it (after a restart). A line
 * `--- @include "NAME"` is replaced by lua/includes/NAME.lua: what several
 * scripts share (how the done batches are kept) is written once.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** The scripts' folder: beside dist/ and src/ alike, so the built package and the sources read the same files. */
const LUA_DIR = new URL('../lua/', import.meta.url);

const INCLUDE = /^--- @include "([\w-]+)"$/gm;

/** A script's text with its includes in place. */
function withIncludes(source: string): string {
  return source.replace(INCLUDE, (_, name: string) => readFileSync(new URL(`includes/${name}.lua`, LUA_DIR), 'utf8'));
}

export class LuaScript {
  private readonly source: string;
  private readonly sha: string;

  /** The script `lua/NAME.lua`. */
  constructor(readonly name: string) {
    this.source = withIncludes(readFileSync(new URL(`${name}.lua`, LUA_DIR), 'utf8'));
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** Every script, by name. */
export const LUA = {
  readForRecord: new LuaScript('read-for-record'),
  recordBatch: new LuaScript('record-batch'),
  setState: new LuaScript('set-state'),
  addRunningMs: new LuaScript('add-running-ms'),
  recordMinimized: new LuaScript('record-minimized'),
  claimBatches: new LuaScript('claim-batches'),
  addPlan: new LuaScript('add-plan'),
  settleAudit: new LuaScript('settle-audit'),
  holdLease: new LuaScript('hold-lease'),
  releaseLease: new LuaScript('release-lease'),
  importCampaign: new LuaScript('import-campaign'),
  postResult: new LuaScript('post-result'),
  trimInbox: new LuaScript('trim-inbox'),
  recordCertificate: new LuaScript('record-certificate'),
} as const;
