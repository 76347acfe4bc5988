/**
 * A reproducer: everything needed to replay a failing run on another machine
 * (strategy, scenario, the configuration that differs from the defaults, the
 * choice list) and the model version that made it, as one short string:
 *
 *   pcfarm1:<base64url>
 *
 * The prefix names the string format (1). The base64url (no padding;
 * whitespace is ignored, so a wrapped line still pastes) holds bytes:
 *
 *   varint  n, the length of the body
 *   body    str model version, str strategy, str scenario,
 *           varint field count, then per field: varint tag (CONFIG_FIELDS
 *           index), value (str for the scheduler, varint otherwise),
 *           varint choice count, then each choice as a varint,
 *           then, only for a strategy loaded from a file, str its source
 *           hash (Strategy.sourceHash)
 *   u32     CRC-32 of everything before it, little-endian
 *
 * where varint is LEB128 (7 bits a byte, low first) and str is a varint
 * length then one varint per UTF-16 code unit (one byte each for ASCII).
 * The length catches truncation; the CRC catches any other damage of up to
 * 32 bits in a row, so every mistyped character (6 bits), and the rest but
 * for one chance in 2^32.
 */
import { ConfigError, DEFAULTS, resolveConfig, type RunConfig } from './config.js';
import { SCENARIO_TABLE } from './scenarios/index.js';
import { STRATEGY_TABLE } from './strategies/index.js';
import { trimZeros } from './minimize.js';
import { MODEL_VERSION } from './version.js';

/** The prefix of format 1. */
export const REPRODUCER_PREFIX = 'pcfarm1:';

/** A failing run, portable. */
export interface Reproducer {
  /** The MODEL_VERSION that made it: another version may replay it differently. */
  modelVersion: string;
  /** strategy, scenario and only the fields that differ from DEFAULTS (never trace). */
  config: RunConfig;
  /** The choice list, without trailing zeros (a replay supplies them). */
  choices: number[];
  /** A strategy file's source hash (Strategy.sourceHash); absent for a built-in strategy. */
  strategyHash?: string;
}

type Field = Exclude<keyof RunConfig, 'strategy' | 'scenario' | 'trace'>;

/** The config fields a reproducer can carry; a field's tag is its index, so only ever append. */
export const CONFIG_FIELDS: readonly Field[] = ['scheduler', 'pctDepth', 'pctStepsEstimate', 'pctDaemonOneIn', 'stepsMax', 'stallStepsMax', 'reclaimActionsMax', 'blocksPerPage', 'pageCells'];

/**
 * The reproducer of a run of `config` that made `choices`, by this model;
 * `strategyHash` pins a strategy loaded from a file to its source.
 */
export function reproducerOf(config: RunConfig, choices: readonly number[], strategyHash?: string): Reproducer {
  const canonical: RunConfig = { strategy: config.strategy, scenario: config.scenario };
  for (const field of CONFIG_FIELDS) {
    const v = config[field];
    if (v !== undefined && v !== DEFAULTS[field]) (canonical as unknown as Record<string, unknown>)[field] = v;
  }
  const r: Reproducer = { modelVersion: MODEL_VERSION, config: canonical, choices: trimZeros(choices) };
  if (strategyHash !== undefined) r.strategyHash = strategyHash;
  return r;
}

/** The copyable string of a reproducer. */
export function encodeReproducer(r: Reproducer): string {
  const body: number[] = [];
  str(body, r.modelVersion);
  str(body, r.config.strategy);
  str(body, r.config.scenario);
  const fields = CONFIG_FIELDS.filter((f) => r.config[f] !== undefined);
  varint(body, fields.length);
  for (const f of fields) {
    varint(body, CONFIG_FIELDS.indexOf(f));
    const v = r.config[f]!;
    if (typeof v === 'string') str(body, v);
    else varint(body, v);
  }
  varint(body, r.choices.length);
  for (const c of r.choices) varint(body, c);
  if (r.strategyHash !== undefined) str(body, r.strategyHash);
  const bytes: number[] = [];
  varint(bytes, body.length);
  bytes.push(...body);
  const sum = crc32(bytes);
  bytes.push(sum & 0xff, (sum >>> 8) & 0xff, (sum >>> 16) & 0xff, sum >>> 24);
  return REPRODUCER_PREFIX + base64url(bytes);
}

/**
 * Read a reproducer string made by this model version. Throws ConfigError:
 * EBADREPRO when it is not a well-formed reproducer (saying what is wrong:
 * the prefix, a character, truncation, the checksum), EMODELVERSION when
 * another model version made it (its choices would replay differently), and
 * the config's own codes (EUNKNOWNSTRATEGY, …) for what this model cannot run.
 * `strategies` names strategies loaded from files, beside the built-in ones;
 * null takes any strategy id (a caller that runs the choices against a
 * strategy of its own, as a findings diff re-tests A's buckets against B).
 */
export function decodeReproducer(text: string, strategies: readonly string[] | null = []): Reproducer {
  const s = text.replace(/\s+/g, '');
  const format = /^pcfarm(\d+):/.exec(s);
  if (format === null) throw bad(`not a pcfarm reproducer: it should start with ${REPRODUCER_PREFIX}, but starts with ${JSON.stringify(s.slice(0, REPRODUCER_PREFIX.length))}`);
  if (format[0] !== REPRODUCER_PREFIX) throw bad(`a format ${format[1]} reproducer; this pcfarm reads format 1 (${REPRODUCER_PREFIX})`);
  const { bytes, spareBits, dangling } = unbase64url(s.slice(REPRODUCER_PREFIX.length), REPRODUCER_PREFIX.length);
  const r = new Reader(bytes, 'truncated: it ends inside its length');
  const n = r.varint();
  // Every string pcfarm writes starts its body with a model version: text that does not is no cut reproducer.
  if (!startsWithModelVersion(bytes, r.pos)) throw bad(`not a reproducer pcfarm wrote: what follows ${REPRODUCER_PREFIX} does not start with a model version (random or altered text?)`);
  const have = bytes.length - r.pos - 4;
  if (have < n) throw bad(`truncated: it holds ${Math.max(have, 0)} of its ${n} bytes (and a 4-byte checksum)${dangling ? ' and half a byte' : ''}; copy the whole string`);
  if (have > n || dangling) throw bad(`${have > n ? `${have - n} unexpected byte(s)` : 'an unexpected character'} after its end: two reproducers run together, or extra text`);
  // Checked after the length, so a cut string is reported as cut.
  if (spareBits) throw bad(`its last character ${JSON.stringify(s[s.length - 1])} is not one an encoder writes: the string was altered`);
  const end = r.pos + n;
  const body = bytes.slice(r.pos, end);
  const sum = bytes[end]! | (bytes[end + 1]! << 8) | (bytes[end + 2]! << 16) | (bytes[end + 3]! << 24);
  if (sum >>> 0 !== crc32(bytes.slice(0, end))) throw bad('checksum mismatch: the string was altered or mistyped');
  const b = new Reader(body, 'malformed: its body ends early');
  const modelVersion = b.str();
  if (modelVersion !== MODEL_VERSION) {
    throw new ConfigError('EMODELVERSION', `reproducer made by model ${modelVersion}, this is ${MODEL_VERSION}: it would replay differently; replay it with the pcfarm of ${modelVersion}`);
  }
  const config: RunConfig = { strategy: b.str(), scenario: b.str() };
  const nFields = b.varint();
  for (let i = 0; i < nFields; i++) {
    const tag = b.varint();
    const field = CONFIG_FIELDS[tag];
    if (field === undefined) throw bad(`malformed: unknown config field tag ${tag}`);
    (config as unknown as Record<string, unknown>)[field] = field === 'scheduler' ? b.str() : b.varint();
  }
  const count = b.varint();
  // Every choice takes at least a byte: a count past what is left is damage, not a huge list to allocate.
  if (count > body.length - b.pos) throw bad(`malformed: ${count} choices in ${body.length - b.pos} bytes`);
  const choices: number[] = [];
  for (let i = 0; i < count; i++) choices.push(b.varint());
  const strategyHash = b.pos === body.length ? undefined : b.str();
  if (b.pos !== body.length) throw bad(`malformed: ${body.length - b.pos} byte(s) left after the strategy hash`);
  if (strategyHash !== undefined && STRATEGY_TABLE.has(config.strategy)) throw bad(`malformed: a source hash for the built-in strategy ${config.strategy}`);
  try {
    resolveConfig(config, strategies === null ? [config.strategy] : [...STRATEGY_TABLE.keys(), ...strategies], [...SCENARIO_TABLE.keys()]);
  } catch (e) {
    if (e instanceof ConfigError) {
      if (e.code === 'EUNKNOWNSTRATEGY' && strategyHash !== undefined) {
        throw new ConfigError(e.code, `reproducer: made with the strategy file ${config.strategy} (source ${strategyHash}); load it with --strategy-file PATH`);
      }
      throw new ConfigError(e.code, `reproducer: ${e.message}`);
    }
    throw e;
  }
  const decoded: Reproducer = { modelVersion, config, choices };
  if (strategyHash !== undefined) decoded.strategyHash = strategyHash;
  return decoded;
}

function bad(message: string): ConfigError {
  return new ConfigError('EBADREPRO', `bad reproducer: ${message}`);
}

class Reader {
  pos = 0;
  constructor(
    private readonly bytes: readonly number[],
    private readonly short: string,
  ) {}

  varint(): number {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.bytes.length) throw bad(this.short);
      const byte = this.bytes[this.pos++]!;
      // Choices are u32 and lengths smaller: more than 5 bytes is damage.
      if (shift > 28) throw bad('malformed: a number longer than 32 bits');
      v += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
    }
    if (v > 0xffffffff) throw bad('malformed: a number longer than 32 bits');
    return v;
  }

  str(): string {
    const n = this.varint();
    if (n > this.bytes.length - this.pos) throw bad(this.short);
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = this.varint();
      if (c > 0xffff) throw bad('malformed: a character code past 0xffff');
      s += String.fromCharCode(c);
    }
    return s;
  }
}

function varint(out: number[], v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`a reproducer holds whole numbers from 0 to 2^32-1, not ${v}`);
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function str(out: number[], s: string): void {
  varint(out, s.length);
  for (let i = 0; i < s.length; i++) varint(out, s.charCodeAt(i));
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (IEEE 802.3, as zip and PNG use). */
function crc32(bytes: readonly number[]): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function base64url(bytes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(bytes.length - i, 3) + 1;
    for (let j = 0; j < chars; j++) out += ALPHABET[(n >>> (18 - 6 * j)) & 63];
  }
  return out;
}

/** `offset`: where the text starts in the string, so a bad character is named by its position there. */
/**
 * Whether the bytes at `pos` can start a model version (a length of 1 to
 * 64, then printable ASCII), as far as they go: a cut string passes.
 */
function startsWithModelVersion(bytes: readonly number[], pos: number): boolean {
  if (pos >= bytes.length) return true;
  const len = bytes[pos]!;
  if (len < 1 || len > MODEL_VERSION_LENGTH_MAX) return false;
  for (let i = pos + 1; i < Math.min(bytes.length, pos + 1 + len); i++) if (bytes[i]! < 0x21 || bytes[i]! > 0x7e) return false;
  return true;
}

/** The longest model version a reproducer may name (MODEL_VERSION is a few characters). */
const MODEL_VERSION_LENGTH_MAX = 64;

/** The bytes of base64url text; a last lone character (half a byte: cut, or one too many) is `dangling`. */
function unbase64url(text: string, offset: number): { bytes: number[]; spareBits: boolean; dangling: boolean } {
  if (text.length === 0) throw bad(`truncated: nothing after ${REPRODUCER_PREFIX}`);
  const sextets: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const v = ALPHABET.indexOf(text[i]!);
    if (v < 0) throw bad(`character ${JSON.stringify(text[i])} at position ${offset + i + 1} is not base64url (A-Z, a-z, 0-9, - and _)`);
    sextets.push(v);
  }
  // One sextet alone cannot end a group of bytes: the string was cut there, or has one character too many.
  const dangling = sextets.length % 4 === 1;
  if (dangling) sextets.pop();
  const bytes: number[] = [];
  let spareBits = false;
  for (let i = 0; i < sextets.length; i += 4) {
    const group = sextets.slice(i, i + 4);
    const n = (group[0]! << 18) | ((group[1] ?? 0) << 12) | ((group[2] ?? 0) << 6) | (group[3] ?? 0);
    bytes.push((n >>> 16) & 0xff);
    if (group.length > 2) bytes.push((n >>> 8) & 0xff);
    if (group.length > 3) bytes.push(n & 0xff);
    // A short last group's spare low bits are 0 when encoded: set ones mean the string was changed.
    if ((group.length === 2 ? n & 0xffff : group.length === 3 ? n & 0xff : 0) !== 0) spareBits = true;
  }
  return { bytes, spareBits, dangling };
}
