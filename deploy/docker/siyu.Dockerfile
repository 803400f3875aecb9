# syntax=docker/dockerfile:1
# The all-in-one developer binary. docker compose runs it once as `siyu seed`
# to load the demo shop into the running services; `siyu keys` prints a fresh
# token signing key pair.
# Build from the repository root so go.work resolves the workspace:
#   docker build -f deploy/docker/siyu.Dockerfile -t siyu/siyu .

FROM golang:1.26.8 AS build
WORKDIR /src
COPY . .
# The embedded document store is pure Go (SQLite without cgo), so this binary
# is static too.
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/siyu ./cmd/siyu

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/siyu /usr/local/bin/siyu
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/siyu"]
CMD ["seed"]
