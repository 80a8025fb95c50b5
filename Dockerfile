# Multi-stage: compile (and build better-sqlite3, the one native module) with the toolchain, then ship a
# slim image that runs as the unprivileged `node` user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# SMPP, SMPP over TLS, metrics. Mount a config whose `listen.host` is 0.0.0.0 to reach it from outside.
EXPOSE 2775 3550 9464
VOLUME ["/app/data"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD node -e "require('http').get('http://127.0.0.1:9464/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["run", "--config", "config/default.yaml"]
