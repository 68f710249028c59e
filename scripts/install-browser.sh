#!/usr/bin/env bash
# Installs Debian's Chromium for the playground's browser tests
# (playground/browser_test.go, demo/demo_browser_test.go), plus a colour
# emoji font so screenshots show the page as people see it, and poppler-utils (pdftoppm), which
# the poster test uses to render a commune poster to an image (poster/poster_test.go). Idempotent:
# does nothing when all are there. Needs root (or sudo) and Debian's package archive.
set -euo pipefail

packages=()
[[ -x /usr/bin/chromium ]] || packages+=(chromium)
dpkg-query -W -f='${Status}' fonts-noto-color-emoji 2>/dev/null | grep -q 'install ok installed' ||
	packages+=(fonts-noto-color-emoji)
command -v pdftoppm >/dev/null || packages+=(poppler-utils)
if ((${#packages[@]} == 0)); then
	echo "install-browser: chromium and pdftoppm already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
	exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null || { echo "install-browser: run as root (needs apt-get install ${packages[*]})" >&2; exit 1; }
	sudo=(sudo)
fi
echo "install-browser: installing ${packages[*]}"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
/usr/bin/chromium --version 2>/dev/null || true
