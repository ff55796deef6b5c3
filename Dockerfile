# Junction in a container: a small image (Node's slim Debian base), run as the unprivileged `node`
# user, with the config mounted at /etc/junction/junction.yaml and a health check on the admin API's
# /ready. Build: `docker build -t junction .`; run: see docs/deployment.md.

# Build stage: the dev dependencies compile TypeScript; none of them reach the final image.
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm ci --ignore-scripts && npx tsc -p tsconfig.build.json

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    JUNCTION_ADMIN_PORT=9901
WORKDIR /opt/junction
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY examples ./examples
COPY deploy/container.yaml /etc/junction/junction.yaml
USER node
EXPOSE 8080 9901
# The admin API must listen where this probe looks (admin.port, 9901 in deploy/container.yaml); /ready
# answers 503 while Junction drains, so an orchestrator stops sending traffic before it exits.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.JUNCTION_ADMIN_PORT || 9901) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (what `docker stop` sends) is a graceful shutdown within timeouts.shutdown_grace.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/junction/bin/junction.js"]
CMD ["run", "-c", "/etc/junction/junction.yaml"]
