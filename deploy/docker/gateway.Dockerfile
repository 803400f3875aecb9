# syntax=docker/dockerfile:1
# The gateway: Siyu's REST edge.
# Build from the repository root so go.work resolves the workspace:
#   docker build -f deploy/docker/gateway.Dockerfile -t siyu/gateway .
#
# The image also carries the H5 storefront (web/h5), built in a Node stage
# from the same OpenAPI document the gateway serves, at /srv/web.

FROM golang:1.26.8 AS build
WORKDIR /src
COPY . .
# A static binary (no cgo) runs on the distroless base without a libc.
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/gateway ./gateway/cmd/gateway

# The storefront: npm ci from the lockfile (cached between builds), then the
# build, which generates its API types from the gateway's OpenAPI document.
FROM node:22-bookworm-slim AS web
WORKDIR /src/web/h5
COPY web/h5/package.json web/h5/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY gateway/internal/apidocs/siyu.swagger.json /src/gateway/internal/apidocs/siyu.swagger.json
COPY web/h5/ ./
RUN npm run build

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gateway /usr/local/bin/gateway
COPY --from=web /src/web/h5/dist /srv/web
ENV SIYU_HTTP_ADDR=:8080
ENV SIYU_WEB_DIR=/srv/web
EXPOSE 8080
USER nonroot:nonroot
# The binary asks its own /healthz, so the image needs no shell or curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/gateway", "-healthcheck"]
ENTRYPOINT ["/usr/local/bin/gateway"]
