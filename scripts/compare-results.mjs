// Do two exports of a campaign hold the same findings? The check behind "a
// laptop and a farm end with the same buckets and counts".
//
//   node scripts/compare-results.mjs LAPTOP.jsonl FARM.jsonl
//
// Each file is what `pcfarm campaign export ID --out FILE` writes, from a
// results directory (--results DIR, a laptop's `pcfarm fuzz`) or from the
// farm's Redis: one campaign's snapshot. Compared: the spec (all but its
// name), the batches recorded, runs, steps, failing and warning runs,
// coverage, and every bucket, failure or warning: title, kind, strategy,
// sites, scenarios, blocks per page, count, example seeds, witness, and the
// minimized reproducer. Times and ids are not (each side has its own).
// Prints one line per bucket and a verdict; exit 0 when the two agree, 1 when
// they differ, 2 on unusable input.
import { readFileSync } from 'node:fs';
// The farm's own notion of what a bucket found (a built checkout, as compose-check.sh asks).
import { bucketFindings } from '../packages/farm/dist/local.js';

function fail(message) {
  console.error(`compare-results: ${message}`);
  process.exit(2);
}

function snapshotOf(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail(`cannot read ${path}: ${e.message}`);
  }
  const snapshots = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      const o = JSON.parse(line);
      if (o.type === 'snapshot') snapshots.push(o.snapshot);
    } catch {
      fail(`${path}:${i + 1} is not JSON: not an export of pcfarm campaign export`);
    }
  }
  if (snapshots.length !== 1) fail(`${path} holds ${snapshots.length} campaign snapshots, not 1: give one campaign's export (pcfarm campaign export ID --out FILE)`);
  return snapshots[0];
}

/** A bucket as both sides must agree on it: no times, the reproducer alone of its minimization. */
const comparable = (b) => JSON.stringify({ ...bucketFindings(b), reproducer: b.minimized?.reproducer ?? null });

const [laptopPath, farmPath] = process.argv.slice(2);
if (laptopPath === undefined || farmPath === undefined || process.argv.length > 4) fail('usage: node scripts/compare-results.mjs LAPTOP.jsonl FARM.jsonl');
const a = snapshotOf(laptopPath);
const b = snapshotOf(farmPath);
const differences = [];
const spec = (s) => JSON.stringify({ ...s.campaign.spec, name: undefined });
if (spec(a) !== spec(b)) differences.push(`the specs differ: laptop ${spec(a)}, farm ${spec(b)}`);
if (a.campaign.modelVersion !== b.campaign.modelVersion) differences.push(`model version: laptop ${a.campaign.modelVersion}, farm ${b.campaign.modelVersion}`);
const totals = (s) => ({ done: JSON.stringify(s.done), runs: s.runs, steps: s.steps, failures: s.failures, warnings: s.warnings, coverage: JSON.stringify([...s.coverage].sort((x, y) => x - y)) });
const ta = totals(a);
const tb = totals(b);
for (const k of Object.keys(ta)) if (ta[k] !== tb[k]) differences.push(`${k}: laptop ${ta[k].length > 80 ? `${ta[k].slice(0, 80)}…` : ta[k]}, farm ${tb[k].length > 80 ? `${tb[k].slice(0, 80)}…` : tb[k]}`);
console.log(`laptop ${a.campaign.id}: ${a.runs} runs, ${a.failures} failing, ${a.warnings} warned, coverage ${a.coverage.length}, ${a.buckets.length} buckets`);
console.log(`farm   ${b.campaign.id}: ${b.runs} runs, ${b.failures} failing, ${b.warnings} warned, coverage ${b.coverage.length}, ${b.buckets.length} buckets`);
const byId = (s) => new Map(s.buckets.map((x) => [x.id, x]));
const ba = byId(a);
const bb = byId(b);
for (const id of [...new Set([...ba.keys(), ...bb.keys()])].sort()) {
  const x = ba.get(id);
  const y = bb.get(id);
  if (x === undefined || y === undefined) {
    differences.push(`only the ${x === undefined ? 'farm' : 'laptop'} has ${(x ?? y).severity} bucket ${id} ${(x ?? y).title}`);
    continue;
  }
  const same = comparable(x) === comparable(y);
  const title = x.title.length > 90 ? `${x.title.slice(0, 89)}…` : x.title;
  console.log(`  ${same ? 'same' : 'DIFF'}  ${id}  ${String(x.count).padStart(6)}${y.count === x.count ? '' : ` vs ${y.count}`}  ${x.minimized ? 'minimized' : x.severity === 'warning' ? 'warning  ' : 'not min. '}  ${title}`);
  if (!same) differences.push(`bucket ${id}:\n    laptop ${comparable(x)}\n    farm   ${comparable(y)}`);
}
if (differences.length > 0) {
  console.log(`DIFFERENT: ${differences.length} difference(s)`);
  for (const d of differences) console.log(`  ${d}`);
  process.exit(1);
}
console.log('SAME: the farm found what the laptop found, bucket for bucket, reproducers and all');
