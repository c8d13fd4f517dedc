# Production image for the API (`node dist/server.js`) and the worker (`node dist/worker.js`).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# git: LocalForge keeps repos with git and serves clones through git http-backend.
# chromium: the worker's self-check loads each published page (CHROMIUM_PATH=/usr/bin/chromium).
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates chromium fonts-liberation \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
CMD ["node", "dist/server.js"]
