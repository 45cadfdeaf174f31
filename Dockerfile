# syntax=docker/dockerfile:1
# One image for both programs:
#   server (default):  docker run IMAGE
#   client program:    docker run IMAGE dist/client/main.js
ARG NODE_VERSION=24

# Build with dev dependencies (TypeScript), from the lock file.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
RUN npm run build

# Production dependencies only.
FROM node:${NODE_VERSION}-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime: distroless, no shell, non-root (uid 65532); node is PID 1 and handles SIGTERM itself.
FROM gcr.io/distroless/nodejs${NODE_VERSION}-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER 65532:65532
EXPOSE 50051
CMD ["dist/server/main.js"]
