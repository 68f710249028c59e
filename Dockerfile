# syntax=docker/dockerfile:1
# Release image of reentrybot: a static binary (CGO_ENABLED=0, time zone
# database embedded) on distroless, run as a non-root user.
#   docker build --build-arg VERSION=v1.0.0 --build-arg COMMIT=$(git rev-parse HEAD) -t reentrybot .
# Target "backup" adds pg_dump (same major version as the compose database).

ARG GO_VERSION=1.26
ARG PG_MAJOR=17

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/reentrybot ./cmd/reentrybot

# pg_dump and pg_restore for `reentrybot backup` and `restore`, matching the
# server's major version (pg_dump refuses a newer server).
FROM postgres:${PG_MAJOR}-bookworm AS backup
COPY --from=build /out/reentrybot /usr/local/bin/reentrybot
# The bot's uid, so it reads the same secret files; a named volume mounted
# on /backups takes this folder's owner.
RUN mkdir /backups && chown 65532:65532 /backups
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/reentrybot"]
CMD ["backup", "--help"]

FROM gcr.io/distroless/static-debian12:nonroot AS bot
COPY --from=build /out/reentrybot /reentrybot
# nonroot is uid 65532; the binary needs no file system writes.
USER nonroot:nonroot
EXPOSE 8080 9090
# --offline: the database and migrations only, so a Telegram outage does
# not mark the container unhealthy (reentrybot check without it asks getMe).
HEALTHCHECK --interval=30s --timeout=15s --start-period=30s --retries=3 CMD ["/reentrybot", "check", "--offline"]
ENTRYPOINT ["/reentrybot"]
CMD ["serve"]
