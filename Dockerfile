# syntax=docker/dockerfile:1
# oom-bot's image: the official Node 24 image (Node runs the TypeScript sources natively, no build
# step), production dependencies only, tini as PID 1 (forwards SIGTERM, reaps zombies), the
# system fonts the memory chart is drawn with, and a non-root user owning nothing it runs.
#
#   docker build -t oom-bot:0.1.0 .
#   docker run --rm --env-file .env -p 3000:3000 oom-bot:0.1.0 serve     # or: worker, start
#
# The same image runs every role; the Kubernetes manifests (manifests/) and docker-compose.yml
# choose one with the first argument.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- dependencies: `npm ci` from the lockfile, without devDependencies ----------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force

# --- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini fonts-dejavu-core \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# root-owned and read-only for the process: it writes nothing (readOnlyRootFilesystem in k8s)
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
# the official image's `node` user, numerically, so Kubernetes can verify runAsNonRoot
USER 1000:1000
EXPOSE 3000 9091
ENTRYPOINT ["/usr/bin/tini", "--", "node", "src/cli.ts"]
CMD ["serve"]
