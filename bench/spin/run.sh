#!/bin/sh
# Spin beside pcfarm verify on the thread's anchors (BENCHMARKS.md, "Spin beside it"):
# each line a whole process, cold: Spin generates its verifier, gcc compiles it, pan runs it;
# pcfarm verify explores every schedule of the full model up to 3 preemptions and 2 reclaim actions
# (its default: cross-mmap-write's pages start cached, and reclaim must drop both for the ABBA).
# Needs spin and gcc (Debian: apt-get install spin gcc), and a built pcfarm.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/thread-anchors.pml" "$work/"
cd "$work"
ms() { date +%s%N | cut -c1-13; }
for cell in "v2.6.20 self-mmap-write 0 -DSELF" "two-copy self-mmap-write 1 -DSELF" "v2.6.20 cross-mmap-write 0 -UX" "two-copy cross-mmap-write 1 -UX"; do
  set -- $cell
  t0=$(ms)
  spin -a -DSTRATEGY=$3 $4 thread-anchors.pml >/dev/null
  gcc -O2 -o pan pan.c
  verdict=$(./pan 2>&1 | grep -E 'errors: [0-9]+' | sed 's/.*errors: \([0-9]*\).*/\1/')
  states=$(./pan 2>&1 | grep 'states, stored' | awk '{print $1}')
  t1=$(ms)
  node "$root/packages/cli/dist/pcfarm.mjs" verify --strategy $1 --scenario $2 --preemptions 3 --json > pcfarm.json || true
  t2=$(ms)
  node -e '
    const r = JSON.parse(require("fs").readFileSync("pcfarm.json", "utf8"));
    const [cell, spinErrors, states, spinMs, pcfarmMs] = process.argv.slice(1);
    console.log(`${cell}: spin ${spinErrors === "0" ? "clean" : "fails"}, ${states} states, ${spinMs} ms; pcfarm ${r.result} at ${r.bound} preemptions, ${r.schedules} schedules, ${pcfarmMs} ms`);
  ' "$1 x $2" "$verdict" "$states" $((t1 - t0)) $((t2 - t1))
done
