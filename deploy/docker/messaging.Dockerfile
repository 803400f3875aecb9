# syntax=docker/dockerfile:1
# The messaging service: templates, channels, inbox and delivery.
# Build from the repository root so go.work resolves the workspace:
#   docker build -f deploy/docker/messaging.Dockerfile -t siyu/messaging .

FROM golang:1.26.8 AS build
WORKDIR /src
COPY . .
# A static binary (no cgo) runs on the distroless base without a libc.
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/messaging ./services/messaging/cmd/messaging

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/messaging /usr/local/bin/messaging
# Listen on every interface inside the container; the binary's defaults are loopback.
ENV SIYU_GRPC_ADDR=:9105 \
    SIYU_METRICS_ADDR=:9464
EXPOSE 9105 9464
USER nonroot:nonroot
# The binary asks its own grpc.health.v1 service, so the image needs no shell or curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/messaging", "-healthcheck"]
ENTRYPOINT ["/usr/local/bin/messaging"]
