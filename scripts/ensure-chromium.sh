#!/usr/bin/env bash
# Make sure Debian's Chromium (/usr/bin/chromium) is there for the web console's browser
# tests. Does nothing when it is. Installs Debian's package (apt-get) only when needed and
# root; never downloads a browser from elsewhere (no `playwright install`). If it cannot,
# it says so and exits 0: the browser tests then skip, or fail under CI (CI=true).
set -uo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "ensure-chromium: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) is there"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "ensure-chromium: /usr/bin/chromium missing and not root; cannot install" >&2
    exit 0
fi

echo "ensure-chromium: installing Chromium (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null || {
    echo "ensure-chromium: apt-get install chromium failed" >&2
    exit 0
}
if [ -x /usr/bin/chromium ]; then
    echo "ensure-chromium: $(/usr/bin/chromium --version 2>/dev/null) installed"
else
    echo "ensure-chromium: chromium installed but /usr/bin/chromium is missing" >&2
fi
