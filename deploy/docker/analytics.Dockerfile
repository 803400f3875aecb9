# syntax=docker/dockerfile:1
# The analytics service: event store and projections.
# Build from the repository root so go.work resolves the workspace:
#   docker build -f deploy/docker/analytics.Dockerfile -t siyu/analytics .

FROM golang:1.26.8 AS build
WORKDIR /src
COPY . .
# A static binary (no cgo) runs on the distroless base without a libc.
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/analytics ./services/analytics/cmd/analytics

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/analytics /usr/local/bin/analytics
# Listen on every interface inside the container; the binary's defaults are loopback.
ENV SIYU_GRPC_ADDR=:9106 \
    SIYU_METRICS_ADDR=:9464
EXPOSE 9106 9464
USER nonroot:nonroot
# The binary asks its own grpc.health.v1 service, so the image needs no shell or curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/analytics", "-healthcheck"]
ENTRYPOINT ["/usr/local/bin/analytics"]
