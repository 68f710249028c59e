#!/bin/sh
# Release binaries: static, time zone database embedded, version and commit
# stamped (the same flags as the Dockerfile). Usage: scripts/release.sh v1.0.0
set -eu
version=${1:?usage: scripts/release.sh VERSION (e.g. v1.0.0)}
commit=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain)" ]; then
	echo "release.sh: the working tree has uncommitted changes; commit them first" >&2
	exit 1
fi
mkdir -p dist
for arch in amd64 arm64; do
	out=dist/reentrybot-$version-linux-$arch
	GOOS=linux GOARCH=$arch CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w -X main.version=$version -X main.commit=$commit" -o "$out" ./cmd/reentrybot
	echo "built $out"
done
(cd dist && sha256sum reentrybot-"$version"-linux-* > SHA256SUMS-"$version")
echo "Name this release's migrations in CHANGELOG.md before tagging $version."
