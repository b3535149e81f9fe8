#!/usr/bin/env bash
# Install everything Kartka needs on a fresh Debian 12 / Ubuntu machine with Python >= 3.11; safe to run again.
#
#   Debian packages (only the missing ones; apt-get update only then) -> .venv with uv -> `uv pip sync
#   requirements.lock` -> translations compiled -> the database named by DATABASE_URL exists (PostgreSQL).
#
# Used by scripts/demo.sh and scripts/test.sh; run it alone to just install.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ -t 2 ]; then BOLD=$'\033[1m' RESET=$'\033[0m'; else BOLD="" RESET=""; fi
step() { printf '%s==> %s%s\n' "$BOLD" "$*" "$RESET" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# gettext: compilemessages; pango/harfbuzz/fontconfig/DejaVu: WeasyPrint PDFs (DejaVu has ₴, ₽ and Cyrillic);
# chromium: the browser tests (Playwright drives Debian's /usr/bin/chromium; it downloads no browser of its own).
# poppler-utils: the analytics tests read the PDF reports (pdftotext, pdffonts) and render them (pdftoppm).
APT_PACKAGES=(python3-venv gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core
    chromium zbar-tools poppler-utils)

apt_ensure() {
    if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
        step "No apt-get here: make sure these (or your system's equivalents) are installed: ${APT_PACKAGES[*]}"
        return 0
    fi
    local missing=() pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "installing ${missing[*]} needs root or sudo"
        sudo=(sudo)
    fi
    step "Installing Debian packages: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >/dev/null
}

python_ok() { "$1" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }

python_find() {
    local candidate
    for candidate in ${PYTHON:-} python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null && python_ok "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    die "Kartka needs Python 3.11 or newer (set PYTHON=/path/to/python3.x to choose one)"
}

venv_ensure() {
    if [ -x .venv/bin/python ] && python_ok .venv/bin/python; then
        return 0
    fi
    local python
    python="$(python_find)"
    step "Creating .venv with $("$python" --version 2>&1)"
    rm -rf .venv
    "$python" -m venv .venv
}

packages_sync() {
    if [ ! -x .venv/bin/uv ]; then
        step "Installing uv into .venv"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.5"
    fi
    step "Syncing .venv with requirements.lock"
    # Compile bytecode now: with PYTHONDONTWRITEBYTECODE set, every start would otherwise compile it again.
    UV_COMPILE_BYTECODE=1 .venv/bin/uv pip sync --quiet --python .venv/bin/python --compile-bytecode requirements.lock
}

messages_compile() {
    # compilemessages walks the whole tree: keep it out of the venv, git and collected files. locale/ may hold
    # no .po files yet (then there is nothing to do), but it must exist or Django refuses to run.
    mkdir -p locale
    .venv/bin/python manage.py compilemessages --verbosity 0 \
        --ignore=.venv --ignore=.git --ignore=var --ignore=node_modules
}

apt_ensure
venv_ensure
packages_sync
step "Compiling translations"
messages_compile
.venv/bin/python scripts/database_ensure.py
