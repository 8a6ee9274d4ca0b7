#!/usr/bin/env bash
# Debian's Chromium and CJK fonts for the real-browser test (tests/test_browser.py).
#
#   bash .ci/browser.sh
#
# Playwright drives this system Chromium; it never downloads a browser of its own. Without
# fonts-noto-cjk the Chinese pages render as empty boxes in the screenshots. Does nothing when
# both are already installed; exits non-zero if Chromium is still missing afterwards, so CI
# stops here rather than in the middle of the test run.
set -euo pipefail

log() { echo "browser.sh: $*" >&2; }

have_fonts() { dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "ok installed"; }

if [ -x /usr/bin/chromium ] && have_fonts; then
    log "chromium and fonts-noto-cjk already installed"
    exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        log "need root (or sudo) to install chromium and fonts-noto-cjk"
        exit 1
    fi
    as_root=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null

if [ ! -x /usr/bin/chromium ]; then
    log "chromium is still missing after apt-get install"
    exit 1
fi
log "installed $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
