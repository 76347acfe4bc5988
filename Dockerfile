# One image for every role of the farm: `docker run pcfarm coordinator`,
# `... worker`, `... dashboard --host 0.0.0.0`, or any other pcfarm command.
FROM node:20-slim

WORKDIR /app
# pnpm as the README installs it (npx pnpm@10), pinned once into the image.
RUN npm install --global pnpm@10

# The manifests first: the dependency layer is rebuilt only when they change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/core/package.json packages/core/
COPY packages/farm/package.json packages/farm/
COPY packages/dashboard/package.json packages/dashboard/
COPY packages/cli/package.json packages/cli/
RUN pnpm install --frozen-lockfile

COPY . .
RUN pnpm run build

# The farm roles stop on SIGTERM after the jobs in hand: give them the time (stop_grace_period in compose).
ENV NODE_ENV=production
ENTRYPOINT ["node", "packages/cli/dist/pcfarm.mjs"]
CMD ["help"]
