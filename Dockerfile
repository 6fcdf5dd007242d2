# syntax=docker/dockerfile:1
# The weir image: the `weir` command (coordinator, worker, run and the other
# client commands) on Node 24, which runs the TypeScript sources directly.
#   docker build -t weir:0.1.0 .
# Runs as uid 1000 and writes only to its volumes (/var/lib/weir, /tmp), so a
# read-only root filesystem works: the worker's slot-thread bundle is made here.

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# Production dependencies of the workspaces the weir command needs (npm follows
# @weir/cli's workspace dependencies; dev tools and @weir/testing stay out).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/common/package.json packages/common/
COPY packages/protocol/package.json packages/protocol/
COPY packages/sdk/package.json packages/sdk/
COPY packages/client/package.json packages/client/
COPY packages/dashboard/package.json packages/dashboard/
COPY packages/coordinator/package.json packages/coordinator/
COPY packages/worker/package.json packages/worker/
COPY packages/connector-kafka/package.json packages/connector-kafka/
COPY packages/cli/package.json packages/cli/
COPY packages/testing/package.json packages/testing/
RUN npm ci --omit=dev --workspace=@weir/cli --no-audit --no-fund && npm cache clean --force

# The sources, and the slot-thread bundle every worker would otherwise write at start.
FROM deps AS build
COPY packages/ packages/
RUN node packages/worker/src/prebuild-slot-thread.ts @weir/connector-kafka/runtime \
 && node packages/cli/bin/weir.mjs --help > /dev/null

FROM ${NODE_IMAGE}
# tini as PID 1: forwards SIGTERM to node (weir stops its components on it) and reaps children.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/weir \
 && chown 1000:1000 /var/lib/weir
WORKDIR /app
COPY --from=build /app /app
RUN ln -s /app/packages/cli/bin/weir.mjs /usr/local/bin/weir
ENV NODE_ENV=production \
    WEIR_LOG_LEVEL=info
# The node user of the official image, by number so Kubernetes can check runAsNonRoot.
USER 1000:1000
# 6123: coordinator gRPC; 8081: coordinator REST API and dashboard; 6121: worker data and control (as deploy/k8s configures them).
EXPOSE 6123 8081 6121
ENTRYPOINT ["/usr/bin/tini", "--", "weir"]
CMD ["--help"]
