# syntax=docker/dockerfile:1
# The gateway: Siyu's REST edge.
# Build from the repository root so go.work resolves the workspace:
#   docker build -f deploy/docker/gateway.Dockerfile -t siyu/gateway .
#
# The H5 storefront and admin console are not in the repository yet; the
# gateway serves its built-in landing page. When web/ lands, add a Node stage
# here that builds it, copy the output to /srv/web and set SIYU_WEB_DIR=/srv/web
# (deploy/compose_test.go fails until then).

FROM golang:1.26.8 AS build
WORKDIR /src
COPY . .
# A static binary (no cgo) runs on the distroless base without a libc.
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/gateway ./gateway/cmd/gateway

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gateway /usr/local/bin/gateway
ENV SIYU_HTTP_ADDR=:8080
EXPOSE 8080
USER nonroot:nonroot
# The binary asks its own /healthz, so the image needs no shell or curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/gateway", "-healthcheck"]
ENTRYPOINT ["/usr/local/bin/gateway"]
