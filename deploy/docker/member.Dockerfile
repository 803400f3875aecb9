# syntax=docker/dockerfile:1
# The member service: identity, sessions, profiles and loyalty.
# Build from the repository root so go.work resolves the workspace:
#   docker build -f deploy/docker/member.Dockerfile -t siyu/member .

FROM golang:1.26.8 AS build
WORKDIR /src
COPY . .
# A static binary (no cgo) runs on the distroless base without a libc.
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/member ./services/member/cmd/member

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/member /usr/local/bin/member
# Listen on every interface inside the container; the binary's defaults are loopback.
ENV SIYU_GRPC_ADDR=:9101 \
    SIYU_METRICS_ADDR=:9464
EXPOSE 9101 9464
USER nonroot:nonroot
# The binary asks its own grpc.health.v1 service, so the image needs no shell or curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/member", "-healthcheck"]
ENTRYPOINT ["/usr/local/bin/member"]
