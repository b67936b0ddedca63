#!/usr/bin/env bash
# Debian packages the tests drive for real: headless Chromium (Datasette UI checks) and newsboat
# (a real feed reader). Installs only what is missing; needs root (as in CI) or sudo.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v newsboat >/dev/null 2>&1 || need+=(newsboat)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing Debian packages for the tests: ${need[*]}" >&2
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
