# One image for every role of the farm: `docker run pcfarm coordinator`,
# `... worker`, `... dashboard --host 0.0.0.0`, or any other pcfarm command.
# Built in two stages: the first installs everything and builds, the second
# holds the build and the production dependencies only, and runs as the
# unprivileged user node. Without a registry, scripts/docker-base-images.sh
# makes node:20-slim from this machine's own Node.
FROM node:20-slim AS build

WORKDIR /app
# The manifests first: the dependency layer is rebuilt only when they change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/core/package.json packages/core/
COPY packages/farm/package.json packages/farm/
COPY packages/dashboard/package.json packages/dashboard/
COPY packages/cli/package.json packages/cli/
# pnpm at the version package.json's packageManager names, so it does not fetch another one itself.
RUN npm install --global "pnpm@$(node -p 'require("./package.json").packageManager.split("@")[1]')" \
  && pnpm install --frozen-lockfile

COPY . .
# Build with the dev dependencies (TypeScript, the bundler), then install again without them, from the store just filled.
RUN pnpm run build \
  && rm -rf node_modules packages/*/node_modules \
  && pnpm install --frozen-lockfile --prod --offline

FROM node:20-slim

# Names the image's builds, so an old one that a rebuild left untagged can be pruned by this label alone.
LABEL org.opencontainers.image.title=pcfarm
ENV NODE_ENV=production
WORKDIR /app
# Read-only to the user that runs it (root owns it): a role cannot rewrite its own code.
COPY --from=build /app/package.json /app/pnpm-workspace.yaml ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
COPY --from=build /app/scripts/healthcheck.mjs scripts/healthcheck.mjs

# The official image's unprivileged user; its home is where commands write (campaign export --out, fuzz --results).
USER node
WORKDIR /home/node
# The farm roles stop on SIGTERM after the jobs in hand: give them the time (stop_grace_period in compose).
# The healthcheck reads the role from the command (coordinator, worker, dashboard; any other command is healthy).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/scripts/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/packages/cli/dist/pcfarm.mjs"]
CMD ["help"]
