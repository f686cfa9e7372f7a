# Lead Router's image: `serve` (the API) by default, `worker` for the
# background half (docker-compose.yml runs both). Node 24 runs the
# TypeScript sources as they are (type stripping): no build step, and the
# runtime needs only the production dependencies.
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund
# The code, its SQL (src/db) and the generated contract the server serves (gen/openapi).
COPY src ./src
COPY gen ./gen
USER node
EXPOSE 8080
# The V8 flags are src/runtime-flags.ts's (a fixed young generation: docs/reliability.md).
ENTRYPOINT ["node", "--max-semi-space-size=16", "--min-semi-space-size=16", "src/cli.ts"]
CMD ["serve"]
