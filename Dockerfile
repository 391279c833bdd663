# syntax=docker/dockerfile:1
# storeflow: the daemon (default command), the CLI and the ESL simulator in one image.
#
#   docker build -t storeflow:0.1.0 .
#   docker run --rm -v "$PWD/tenants:/app/tenants:ro" -e STOREFLOW_STATE_DB_URL=… -p 9464:9464 storeflow:0.1.0
#   docker run --rm storeflow:0.1.0 tenants validate        # any other command
#
# TypeScript runs as it is, through Node 24's type stripping: there is no compile step. The project pins Node 24 as
# the `node` devDependency, which `npm ci --omit=dev` leaves out, so the image runs on the base image's own Node 24.
# Tenant folders mounted over /app/tenants keep working: their transfer.ts imports ../../src.

ARG NODE_IMAGE=node:24-slim

# Production dependencies only, installed on the same base as the runtime so DuckDB's native addon
# (@duckdb/node-bindings-linux-x64 or -arm64, chosen by npm for the build platform) matches it.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force

FROM ${NODE_IMAGE}
# V8 sizes its heap from the machine's memory, not from what storeflow needs: on a large host it grows the young
# generation to 128 MiB and lets old space fill with garbage to several times the live heap before a full collection.
# A 16 MiB young generation and a 1 GiB old-space limit keep the daemon's RSS near its live data (BENCHMARKS.md:
# 10,000 store schedules 350 → under 250 MB; ESL delivery 334 → under 300 MB). Raise --max-old-space-size with the
# container's memory limit if a tenant's transfer needs a larger heap. The benchmarks read these flags from here.
ENV NODE_ENV=production \
  STOREFLOW_TENANTS_DIR=/app/tenants \
  LOG_FORMAT=json \
  NODE_OPTIONS="--max-semi-space-size=16 --max-old-space-size=1024"
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY src ./src
COPY layers ./layers
COPY otel ./otel
COPY tenants ./tenants
# The filesystem lake and DuckDB files of tenants like demo go under /app/.storeflow: the only place the app writes.
RUN mkdir -p /app/.storeflow && chown node:node /app/.storeflow

# The official image's unprivileged user (uid 1000).
USER node

EXPOSE 9464
# No curl in the slim image: Node's fetch asks the daemon's status server. Only for the daemon; other commands run
# from this image (esl-sim in docker-compose.yml) set their own healthcheck.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "src/main.ts"]
CMD ["daemon", "--listen", "0.0.0.0:9464"]
