# syntax=docker/dockerfile:1
# oom-bot's image: the sources compiled to JavaScript (`npm run build`: type stripping at run time
# would cost each process about 30 MiB); production dependencies only, pruned of what Node never
# loads; tini as PID 1 (forwards SIGTERM, reaps zombies); the fonts the memory chart is drawn
# with; a non-root user that owns nothing it runs.
#
#   docker build -t oom-bot:0.1.0 .
#   docker run --rm --env-file .env -p 3000:3000 oom-bot:0.1.0 serve     # or: worker, start
#
# Behind a TLS-inspecting proxy, pass your CA bundle as a build secret; only `npm ci` and
# `apt-get` see it, and it is never written to a layer:
#   docker build --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt -t oom-bot:0.1.0 .
#
# Two bases, official images by default: NODE_IMAGE (Node and npm, for installing) and
# RUNTIME_IMAGE (the Debian the final image is made of; the same Debian NODE_IMAGE is built on).
# Without a registry, scripts/build-base-images.sh makes both from Debian packages.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=debian:bookworm-slim

# --- dependencies: `npm ci` from the lockfile without devDependencies, then pruned of what
# Node never loads: type declarations, source maps, docs, C sources, and the native addons of
# the Bare runtime (tar-fs maps them to Node's own modules under Node) -----------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca \
  if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca npm_config_cafile=/run/secrets/ca; fi \
  && npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force \
  && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
       -o -name '*.md' -o -name '*.markdown' -o -name '*.ts' -o -name '*.tsbuildinfo' \) -delete \
  && rm -rf node_modules/@types node_modules/.package-lock.json \
  && find node_modules -type d -path '*/bare-*/prebuilds' -prune -exec rm -rf {} + \
  && find node_modules -type f \( -name '*.c' -o -name '*.h' -o -name 'CMakeLists.txt' \) -delete
# Node's binary without its debug symbols (about 18 MB less; stack traces are unchanged)
RUN --mount=type=secret,id=ca \
  if [ -s /run/secrets/ca ]; then ca="-o Acquire::https::CAInfo=/run/secrets/ca"; else ca=""; fi \
  && apt-get update -qq $ca \
  && apt-get install $ca -y -qq --no-install-recommends binutils >/dev/null \
  && mkdir -p /out && strip -o /out/node "$(command -v node)" \
  && rm -rf /var/lib/apt/lists/*

# --- build: src/ compiled to dist/ with the lockfile's TypeScript; install scripts are not
# needed for that (the `node` devDependency's download among them) ----------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca \
  if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca npm_config_cafile=/run/secrets/ca; fi \
  && npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN node scripts/build.ts

# --- runtime: Debian, Node, tini, fonts; no npm, no compiler, no package lists -------------
FROM ${RUNTIME_IMAGE} AS runtime
RUN --mount=type=secret,id=ca \
  if [ -s /run/secrets/ca ]; then ca="-o Acquire::https::CAInfo=/run/secrets/ca"; else ca=""; fi \
  && apt-get update -qq $ca \
  && apt-get install $ca -y -qq --no-install-recommends tini fonts-dejavu-core >/dev/null \
  && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
  && groupadd --gid 1000 node \
  && useradd --uid 1000 --gid node --no-create-home --home-dir /app --shell /usr/sbin/nologin node
COPY --from=deps /out/node /usr/local/bin/node
ENV NODE_ENV=production
WORKDIR /app
# root-owned and read-only for the process: it writes nothing (readOnlyRootFilesystem in k8s)
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
# the `node` user, numerically, so Kubernetes can verify runAsNonRoot
USER 1000:1000
EXPOSE 3000 9091
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/cli.js"]
CMD ["serve"]
