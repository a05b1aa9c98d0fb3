# shellcheck shell=bash
# Sourced by tools/check and tools/test: creates .venv (Python 3.11, as Salt 3008 wants) and
# installs a requirements file into it, again only when that file changed.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$REPO_ROOT/.venv"

say() { printf '[mdeprereq] %s\n' "$*" >&2; }

as_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
  # apt_install PKG...: install the Debian packages that are missing (root only)
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q ' installed$' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! as_root || ! command -v apt-get >/dev/null; then
    say "missing Debian packages: ${missing[*]} (run as root to have them installed)"
    return 0
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

find_python() {
  local candidate
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 10))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

ensure_venv() {
  # ensure_venv REQUIREMENTS_FILE: .venv exists and has REQUIREMENTS_FILE installed
  local requirements="$1" python stamp
  if [ ! -x "$VENV/bin/python" ]; then
    python=$(find_python) || { apt_install python3 python3-venv; python=$(find_python); } ||
      { say "no Python 3.10+ found"; exit 1; }
    if ! "$python" -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      apt_install python3-venv
      "$python" -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  fi
  stamp="$VENV/.installed-$(basename "$requirements")"
  if [ ! -f "$stamp" ] || ! cmp -s <(cat "$REPO_ROOT"/requirements/*.txt) "$stamp"; then
    say "installing $(basename "$requirements") into .venv"
    "$VENV/bin/python" -m pip install -q -r "$requirements" 2>&1 |
      grep -v "^WARNING: Location 'file:" >&2 || true
    "$VENV/bin/python" -c 'import salt, packaging' # fail here, not later, if pip did not
    cat "$REPO_ROOT"/requirements/*.txt >"$stamp"
  fi
}
