# paip grid node: `docker build -t paip .` then `docker compose up` (see docker-compose.yml)
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY bin ./bin
COPY protocols ./protocols
COPY web ./web
COPY scripts ./scripts
RUN npx tsc -p tsconfig.json && node scripts/build-web.mjs && node scripts/bundle-cli.mjs
RUN npm prune --omit=dev

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production \
    PAIP_HOME=/data \
    PAIP_API_HOST=0.0.0.0 \
    PAIP_API_PORT=9292 \
    PAIP_LISTEN=/ip4/0.0.0.0/tcp/4001,/ip4/0.0.0.0/tcp/4002/ws
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/protocols ./protocols
VOLUME /data
# HTTP API, libp2p TCP, libp2p WebSockets
EXPOSE 9292 4001 4002
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s CMD node -e "fetch('http://127.0.0.1:9292/health-check').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/paip"]
CMD ["daemon"]
