# atd-citybase: CityBase postback receiver (Bun + TypeScript, no build step).
#
# The Bun version in both FROM lines must equal the `bun` devDependency in
# package.json (test/deploy/compose.test.ts checks it). Bump them together.
#
#   docker build -t atd-citybase .
#   docker compose --profile production up --detach --build   (see docs/RUNBOOK.md)
#
# Behind a proxy that re-signs TLS (a corporate proxy; this project's CI machines), the
# dependency install needs that proxy's CA: put it, PEM-encoded, at build-ca.pem next to
# this file (git ignores it). Only the first stage sees it; the image never holds it.
# A file in the build context rather than a build secret: `RUN --mount=type=secret`
# needs BuildKit, which docker-compose 1.29 does not use, and a file works with every
# builder (BuildKit, the classic builder, buildah/podman) and through compose alike.

# ---------------------------------------------------------------------------
# Stage 1: production dependencies only, exactly as locked.
# ---------------------------------------------------------------------------
FROM oven/bun:1.4.5-slim AS deps
WORKDIR /app

# The repository is locked with npm's package-lock.json (there is no bun.lock).
# When no bun.lock exists, `bun install` migrates package-lock.json in memory and
# installs the exact versions (and integrity hashes) it records; `--frozen-lockfile`
# makes it fail if package.json asks for anything the lock does not satisfy, and
# `--production` leaves out devDependencies. This was checked against the lock:
# every installed package has the version package-lock.json names. It avoids a
# separate Node stage (`npm ci --omit=dev`) and a second, unrelated base image.
# If a bun.lock is ever committed, copy it here too; bun then prefers it.
#
# --omit=peer: Bun installs peer dependencies in a production install, and they are
# about 44 MB of compiler and type packages nothing loads at run time: typescript
# (@elysiajs/openapi's, for a type generator the service does not use), bun-types and
# @types/bun (drizzle-orm's and elysia's), openapi-types (types only) and file-type
# (elysia loads it only to check uploaded files, and no route takes one). The peers that
# are loaded are dependencies too (elysia's exact-mirror; typebox and elysia, ours), so
# they stay. scripts/container-check.sh runs the image to prove it.
# The glob makes build-ca.pem optional: the COPY copies it when it is there.
COPY package.json package-lock.json bunfig.toml build-ca.pem* ./
RUN if [ -f build-ca.pem ]; then export NODE_EXTRA_CA_CERTS=/app/build-ca.pem; fi; \
    bun install --production --frozen-lockfile --ignore-scripts --omit=peer

# An empty, non-root-owned /data for the runtime stage (a named volume created
# from it inherits the owner, so the service can create the SQLite file and its
# -wal/-shm companions there).
RUN mkdir -p /out/data && chown 1000:1000 /out/data

# ---------------------------------------------------------------------------
# Stage 2: runtime. Debian slim with Bun, CA certificates, /bin/sh; the image's
# user `bun` (uid 1000) runs the service.
# ---------------------------------------------------------------------------
FROM oven/bun:1.4.5-slim AS runtime
WORKDIR /app

# BUN_JSC_forceRAMSize: JavaScriptCore sizes its heap growth from the machine's RAM
# (the host's, not the container's limit), so under load the heap grew to several
# times what is live before it collected. 192 MiB keeps the peak resident memory under
# 64 connections about 15 % lower at no measurable CPU cost; it is a hint to the
# collector, not a cap (BENCHMARKS.md, "Memory"). bench/ runs the service with it too.
ENV NODE_ENV=production \
    TZ=America/Chicago \
    HOST=0.0.0.0 \
    PORT=5000 \
    DATABASE_PATH=/data/citybase.sqlite \
    BUN_JSC_forceRAMSize=201326592

# Application files stay owned by root: the service can read but not change them.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json bunfig.toml tsconfig.json ./
COPY drizzle ./drizzle
COPY src ./src
COPY --from=deps --chown=1000:1000 /out/data /data

USER bun
VOLUME /data
EXPOSE 5000

# Readiness, not health: GET /readyz fails only while this instance cannot record a
# postback (its store refuses writes, or it is shutting down). GET / also fails for
# troubles every instance shares (Knack refusing the keys, an old backlog), when
# restarting or replacing this container would not help. No curl or wget in the slim
# image: ask Bun itself; exits 0 only on HTTP 2xx.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bun", "-e", "fetch(`http://127.0.0.1:${process.env.PORT ?? 5000}/readyz`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Database migrations (drizzle/) are applied by the service at start-up.
CMD ["bun", "src/index.ts"]
