#!/usr/bin/env bash
# Proves docker-compose.yml runs the farm, on a machine that reaches no image
# registry: builds the base images from this machine's files
# (scripts/docker-base-images.sh), brings the stack up under a project of its
# own (a fresh Redis password and dashboard token, a free dashboard port),
# checks what the compose file promises (every service healthy, Redis
# unpublished and refusing clients without the password, a coordinator and a
# standby, one image for every role, run as a user that is not root, without
# the dev dependencies), runs a small campaign through it, and compares the
# farm's buckets with the same campaign run by `pcfarm fuzz` here
# (scripts/compare-results.mjs). Then takes the stack down, volumes and all,
# and prunes the pcfarm images its rebuild left untagged.
#
#   scripts/compose-check.sh [--keep]
#
# --keep leaves the stack up (project pcfarm-check) to look at, and prints
# the command that takes it down (with the stack's password).
# Needs: a running Docker daemon, docker compose or docker-compose, and this
# checkout built (npx --yes pnpm@10 run build). Exit 0 when every check
# passed, 1 when one failed (it says which), 2 on bad usage.
# PCFARM_COMPOSE_CHECK_TIMEOUT_S bounds each wait (default 300).
set -euo pipefail
cd "$(dirname "$0")/.."

keep=0
case "${1:-}" in
  '') ;;
  --keep) keep=1 ;;
  *) echo "compose-check.sh: unknown option ${1} (the only one is --keep)" >&2; exit 2 ;;
esac

PROJECT=pcfarm-check
WAIT_S=${PCFARM_COMPOSE_CHECK_TIMEOUT_S:-300}
# The campaign: small enough for a few seconds on two cores, with failure and warning buckets to compare.
CAMPAIGN=(--strategy v2.6.20,temp-page --scenario self-mmap-write,hole-fill-vs-read --blocks-per-page 1,2 --seeds 1000 --batch-seeds 250)

say() { echo "compose-check: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }

docker info >/dev/null 2>&1 || die "docker cannot reach its daemon: start it (as root: dockerd >/tmp/dockerd.log 2>&1 &)"
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose=(docker-compose)
else
  die "neither docker compose nor docker-compose is installed (Debian: apt-get install docker-compose)"
fi
[ -f packages/cli/dist/pcfarm.mjs ] || die "this checkout is not built: run npx --yes pnpm@10 run build first"
say "compose is: $("${compose[@]}" version --short 2>/dev/null || "${compose[@]}" version | head -1)"

hex() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
export REDIS_PASSWORD
REDIS_PASSWORD=$(hex)
export PCFARM_DASHBOARD_PORT
PCFARM_DASHBOARD_PORT=$(free_port)
unset PCFARM_TOKEN
pcfarm_in() { local c=$1; shift; docker exec "$c" node /app/packages/cli/dist/pcfarm.mjs "$@"; }

work=$(mktemp -d)
# Compose reads only this script's variables: an empty env file in place of the checkout's .env, whatever that holds.
: >"$work/env"
dc() { "${compose[@]}" --env-file "$work/env" -p "$PROJECT" "$@"; }
cleanup() {
  status=$?
  if [ "$keep" = 1 ]; then
    # Compose needs the password to read the file, even to take the stack down: the command carries it.
    say "left up: project $PROJECT; take it down with: cd $(pwd) && REDIS_PASSWORD=$REDIS_PASSWORD ${compose[*]} -p $PROJECT down -v"
  else
    dc down -v --remove-orphans >/dev/null 2>&1 || true
    # The pcfarm images this build replaced (untagged now); the build stages stay, as the next build's cache.
    docker image prune -f --filter label=org.opencontainers.image.title=pcfarm >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

say "1. the file: valid, the token asked of the dashboard alone, the password of everyone"
dc config -q || die "$PROJECT: ${compose[*]} config rejects docker-compose.yml"
if ! out=$(env -u REDIS_PASSWORD "${compose[@]}" --env-file "$work/env" -p "$PROJECT" config -q 2>&1); then
  echo "$out" | grep -q 'set REDIS_PASSWORD' || die "without REDIS_PASSWORD, config fails without saying to set it: $out"
else
  die "config passes without REDIS_PASSWORD: Redis would run without a password"
fi

say "2. base images from this machine's files"
scripts/docker-base-images.sh

say "3. without PCFARM_TOKEN, a command of the coordinator's service (it builds the image, and starts Redis)"
dc run --rm -T coordinator campaign list >"$work/list.log" 2>&1 || { cat "$work/list.log" >&2; die "run --rm coordinator campaign list failed without PCFARM_TOKEN (above)"; }
say "   $(tail -1 "$work/list.log")"

say "4. up: redis, coordinator and its standby, 2 workers, the dashboard (with a token) on port $PCFARM_DASHBOARD_PORT"
export PCFARM_TOKEN
PCFARM_TOKEN=$(hex)
dc up -d --build --scale worker=2 >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; die "${compose[*]} up failed (above)"; }
builds=$(grep -c '^Step 1/' "$work/up.log" || true)
[ "$builds" -le 1 ] || die "up built the image $builds times: once is enough"
containers() { docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1"; }
redis=$(containers redis)
coordinators=$(containers coordinator; containers coordinator-standby)
workers=$(containers worker)
dashboard=$(containers dashboard)
[ "$(echo "$coordinators" | wc -w)" = 2 ] || die "expected 2 coordinators (coordinator and coordinator-standby), found $(echo "$coordinators" | wc -w)"
[ "$(echo "$workers" | wc -w)" = 2 ] || die "expected 2 workers, found $(echo "$workers" | wc -w)"
all="$redis $coordinators $workers $dashboard"

say "5. every service healthy"
deadline=$((SECONDS + WAIT_S))
while :; do
  unhealthy=()
  for c in $all; do
    s=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}no-healthcheck{{end}}' "$c")
    [ "$s" = healthy ] || unhealthy+=("$(docker inspect -f '{{.Name}}' "$c"):$s")
  done
  [ ${#unhealthy[@]} -eq 0 ] && break
  if [ $SECONDS -ge $deadline ]; then
    dc ps >&2 || true
    dc logs --tail 20 >&2 || true
    die "not healthy within ${WAIT_S} s: ${unhealthy[*]}"
  fi
  sleep 2
done
say "   healthy: $(for c in $all; do docker inspect -f '{{.Name}}' "$c"; done | tr -d / | tr '\n' ' ')"

say "6. Redis: not published, and closed to clients without the password"
[ -z "$(docker port "$redis")" ] || die "Redis is published on the host: $(docker port "$redis")"
noauth=$(docker exec "$redis" env -u REDISCLI_AUTH redis-cli ping 2>&1 || true)
echo "$noauth" | grep -q NOAUTH || die "Redis answered a client without the password: $noauth"
say "   docker port: none; without the password: $noauth"

say "7. one image, run as a user that is not root, without the dev dependencies"
images=$(for c in $coordinators $workers $dashboard; do docker inspect -f '{{.Image}}' "$c"; done | sort -u)
[ "$(echo "$images" | wc -l)" = 1 ] || die "the roles run different images: $images"
for c in $coordinators $workers $dashboard; do
  uid=$(docker exec "$c" node -p 'process.getuid()')
  [ "$uid" != 0 ] || die "$(docker inspect -f '{{.Name}}' "$c") runs as root"
done
dev=$(docker run --rm --entrypoint sh pcfarm:latest -c 'ls /app/node_modules/.pnpm' | grep -E '^(typescript|vitest|eslint|rolldown|wabt|playwright-core|@types\+node)@' || true)
[ -z "$dev" ] || die "the image holds dev dependencies: $dev"
say "   image $(echo "$images" | cut -c1-19), uid $uid, none of typescript, vitest, eslint, rolldown, wabt, playwright-core"

say "8. a coordinator and a standby"
standing=0
for c in $coordinators; do docker logs "$c" 2>&1 | grep -q 'standing by' && standing=$((standing + 1)); done
[ "$standing" = 1 ] || die "expected one coordinator standing by, found $standing"

say "9. a campaign through the stack: ${CAMPAIGN[*]}"
coordinator=$(containers coordinator)
id=$(dc run --rm -T coordinator campaign start "${CAMPAIGN[@]}" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')
[ -n "$id" ] || die "campaign start printed no id"
deadline=$((SECONDS + WAIT_S))
# Done, and every failure bucket minimized (the farm minimizes in the background, after the batches).
until pcfarm_in "$coordinator" campaign show "$id" --json >"$work/show.json" 2>/dev/null &&
  node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).summary;
    process.exit(s.campaign.state === "done" && s.minimized === s.buckets ? 0 : 1);
  ' "$work/show.json"; do
  [ $SECONDS -lt $deadline ] || { pcfarm_in "$coordinator" campaign show "$id" >&2 || true; die "campaign $id not done and minimized within ${WAIT_S} s"; }
  sleep 1
done
say "   done: $(pcfarm_in "$coordinator" campaign show "$id" | grep -E '^ *[0-9,]+ runs' | head -1 | sed 's/^ *//')"
dashboard_check() {
  node - "$PCFARM_DASHBOARD_PORT" "$PCFARM_TOKEN" "$id" <<'EOF'
const [port, token, id] = process.argv.slice(2);
const call = async (method, path, body) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body && JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
};
const session = await call('GET', '/api/session');
const wrong = await call('POST', '/api/session', { token: `${token}x` });
const right = await call('POST', '/api/session', { token });
const campaigns = await call('GET', '/api/campaigns');
const listed = JSON.stringify(campaigns.body).includes(`"${id}"`);
console.log(`token required ${session.body.tokenRequired}, a wrong token ${wrong.status}, the token ${right.status}, campaign ${id} ${listed ? 'listed' : 'NOT listed'}`);
process.exit(session.body.tokenRequired === true && wrong.status === 401 && right.status === 200 && listed ? 0 : 1);
EOF
}
out=$(dashboard_check) || die "the dashboard on port $PCFARM_DASHBOARD_PORT: $out"
say "   dashboard on the host's port $PCFARM_DASHBOARD_PORT: $out"
pcfarm_in "$coordinator" campaign export "$id" --out /tmp/farm.jsonl >/dev/null
docker cp "$coordinator:/tmp/farm.jsonl" "$work/farm.jsonl" >/dev/null
docker exec "$coordinator" rm -f /tmp/farm.jsonl

say "10. the same campaign on this machine: ./pcfarm fuzz ${CAMPAIGN[*]} --results DIR --no-dashboard"
set +e
./pcfarm fuzz "${CAMPAIGN[@]}" --results "$work/laptop" --no-dashboard >"$work/laptop.log" 2>&1
status=$?
set -e
[ "$status" = 0 ] || [ "$status" = 1 ] || { cat "$work/laptop.log" >&2; die "pcfarm fuzz exited $status"; }

say "11. the farm's buckets against the laptop's (both exported: ./pcfarm campaign export ID --out FILE --results DIR)"
laptop_id=$(sed -n 's/^campaign \([0-9a-z]*\): .*/\1/p' "$work/laptop.log" | head -1)
[ -n "$laptop_id" ] || { cat "$work/laptop.log" >&2; die "pcfarm fuzz did not say its campaign's id (above)"; }
./pcfarm campaign export "$laptop_id" --out "$work/laptop.jsonl" --results "$work/laptop" >/dev/null
node scripts/compare-results.mjs "$work/laptop.jsonl" "$work/farm.jsonl" >&2 || die "the farm's campaign $id differs from the laptop's $laptop_id (above)"
# And as an operator reads them: imported into a results directory, printed by pcfarm fuzz.
./pcfarm campaign import "$work/farm.jsonl" --results "$work/farm" >/dev/null
set +e
./pcfarm fuzz --results "$work/farm" --resume "$id" --no-dashboard 2>&1 | sed -n '/^bucket/,/^$/p' >&2
set -e
say "PASSED: the stack came up healthy and its campaign $id found what pcfarm fuzz finds here"
