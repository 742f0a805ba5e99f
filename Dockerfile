# recharge-gateway: multi-stage build on the official Node 24 image.
# Build: docker build -t recharge-gateway .
# Run:   docker run -p 8080:8080 -p 1813:1813/udp -e DATABASE_URL=postgresql://… recharge-gateway
#        (without DATABASE_URL it runs on the embedded database in /app/data: mount a volume there)

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    RADIUS_ACCT_PORT=1813 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY migrations ./migrations
COPY templates ./templates
# The image's unprivileged "node" user (uid 1000) owns only the embedded database's directory.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 8080 1813/udp
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 here: it receives SIGTERM directly and drains before exiting.
CMD ["node", "--max-semi-space-size=16", "src/main.ts"]
