# syntax=docker/dockerfile:1

# linkpool: the service as ONE bundled ES module (no node_modules) on node:22-alpine.
#   docker compose up --build          (see docs/docker.md)
# There is no Docker engine in development or CI: scripts/verify-container.sh reproduces
# both stages from this file (RUN commands, COPY layout, ENV, USER, CMD, HEALTHCHECK) and
# fails when they stop working, so keep instructions in the plain forms used here.

# ---- builder: install from the lockfile, bundle the app into dist/bundle/ ----
FROM node:22-alpine AS builder
WORKDIR /build
COPY package.json package-lock.json ./
# --ignore-scripts: the lockfile's only install script is @scarf/scarf's usage-analytics ping.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY nest-cli.json tsconfig.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build:bundle

# ---- runtime: Node.js and the bundle (+ Swagger UI assets), nothing else ----
FROM node:22-alpine AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# Owned by root and not writable by the app's user: the service never writes to its own files.
COPY --from=builder /build/dist/bundle/ ./
# The image's unprivileged user (uid 1000). No init here: compose sets `init: true`
# (with plain docker: `docker run --init`), so signals are forwarded and zombies reaped.
USER node
EXPOSE 3000
# Alpine has no curl: Node's own fetch asks the readiness endpoint.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/health/ready',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "main.mjs"]
