# One image for the gateway (with its embedded broker and relay), the standalone broker and the camera simulator.
# Two stages: `build` has the compilers (better-sqlite3 and mediasoup's C++ worker build from source when no
# prebuilt binary can be downloaded), `runtime` only the shared libraries they link and the built app.
# CI replays this file step by step without Docker: scripts/docker-replay.ts (README, "Deploying").

FROM node:20-bookworm-slim AS build
WORKDIR /app
# mediasoup's worker (scripts/mediasoup-worker.sh) builds against Debian's libraries when its prebuilt
# worker cannot be fetched; better-sqlite3 needs python3, make and g++.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ninja-build meson pkg-config libuv1-dev libssl-dev libsrtp2-dev libusrsctp-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler && rm -rf /var/lib/apt/lists/*
# Dependencies first, without their install scripts: this layer is reused until the lock file changes.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
# Everything the install scripts and the app need (.dockerignore keeps out data, builds and secrets).
COPY tsconfig.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY core ./core
COPY protocol ./protocol
COPY web ./web
COPY gateway ./gateway
COPY broker ./broker
COPY relay ./relay
COPY device-client ./device-client
COPY firmware-sim ./firmware-sim
COPY camera-bridge ./camera-bridge
COPY admin ./admin
# `npm rebuild` runs what `npm ci` skipped: the dependencies' install scripts (native modules), then the
# project's postinstall (Prisma clients, mediasoup worker, web app). Its migration step needs a database: a
# throw-away SQLite file keeps the image free of data.
RUN DATABASE_URL=file:/tmp/build.db npm rebuild --foreground-scripts --no-audit --no-fund && rm -f /tmp/build.db*
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
# The shared libraries mediasoup's worker links when it was built from Debian's packages, and the Chinese font
# the box label sheets are printed with.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei libuv1 libssl3 libsrtp2-1 libusrsctp2 libabsl20220623 libflatbuffers2 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The code stays owned by root, so the service cannot change it; only data/ (the SQLite default) is writable.
COPY --from=build /app /app
RUN mkdir -p /app/data && chown node:node /app/data
ENV NODE_ENV=production HTTP_PORT=8080 MQTT_PORT=1883 RELAY_RTC_PORT=40000
# HTTP, MQTT, and one UDP and one TCP media port per relay worker from RELAY_RTC_PORT (two workers here;
# publish more with RELAY_WORKERS).
EXPOSE 8080 1883 40000-40001/udp 40000-40001/tcp
USER node
# Not `npm start`: the gateway must be the process that receives SIGTERM, to shut down gracefully.
CMD ["sh", "-c", "node --import tsx scripts/migrate.ts --deploy-only && exec node --import tsx gateway/src/main.ts"]
