# shellcheck shell=bash
# Sourced by tools/check and tools/test. Brings a bare Debian 12 or 13 (python3, python3-venv, git,
# ca-certificates) to what the command needs: the Debian packages of tools/debian-packages.txt
# (installed as root; as another user it stops and names them) and .venv (Python 3.10+, as Salt
# 3008 wants) with a requirements file installed, again only when requirements/ changed.
# Any step that fails stops the command with that step's own error.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$REPO_ROOT/.venv"
DEBIAN_PACKAGES="$REPO_ROOT/tools/debian-packages.txt"

say() { printf '[mdeprereq] %s\n' "$*" >&2; }

die() {
  say "error: $*"
  exit 1
}

as_root() { [ "$(id -u)" -eq 0 ]; }

debian_packages() {
  # debian_packages SECTION...: the packages listed under [SECTION] in tools/debian-packages.txt
  awk -v wanted=" $* " -v file="$DEBIAN_PACKAGES" '
    /^[[:space:]]*(#|$)/ { next }
    /^\[[a-z]+\][[:space:]]*$/ { section = $1; gsub(/[][]/, "", section); next }
    section == "" { printf "%s:%d: a package before any [section]\n", file, NR > "/dev/stderr"; exit 2 }
    index(wanted, " " section " ") { print $1 }
  ' "$DEBIAN_PACKAGES"
}

apt_install() {
  # apt_install PKG...: install the Debian packages that are missing (root only; anyone else
  # gets an error naming them and the command that installs them)
  local missing=() pkg status
  if ! command -v dpkg-query >/dev/null; then
    say "not a Debian system: make sure these (Debian names) are installed: $*"
    return 0
  fi
  for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) || status=
    [[ "$status" == *" installed" ]] || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! as_root; then
    die "missing Debian packages: ${missing[*]}. Install them as root" \
      "(apt-get install --no-install-recommends ${missing[*]}), or run $(basename "$0") as root," \
      "which installs them (the list: tools/debian-packages.txt)"
  fi
  command -v apt-get >/dev/null || die "missing Debian packages: ${missing[*]}, and no apt-get"
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed (its error is above)"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed (its error is above)"
}

install_debian_packages() {
  # install_debian_packages SECTION...: apt_install what tools/debian-packages.txt lists there
  local list packages
  list=$(debian_packages "$@") || die "can't read the package list $DEBIAN_PACKAGES"
  [ -n "$list" ] || die "$DEBIAN_PACKAGES lists no packages under [$*]"
  mapfile -t packages <<<"$list"
  apt_install "${packages[@]}"
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

venv_pip() {
  # venv_pip ARG...: pip install ARG... into .venv, quietly; its status is pip's (the filter
  # drops a warning about a PIP_FIND_LINKS directory that does not exist, and nothing else)
  "$VENV/bin/python" -m pip install -q "$@" 2>&1 | { grep -v "^WARNING: Location 'file:" || true; } >&2
}

ensure_venv() {
  # ensure_venv REQUIREMENTS_FILE: .venv exists and has REQUIREMENTS_FILE installed
  local requirements="$1" python stamp
  stamp="$VENV/.installed-$(basename "$requirements")"
  if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] &&
    cmp -s <(cat "$REPO_ROOT"/requirements/*.txt) "$stamp"; then
    return 0
  fi
  install_debian_packages check # what building .venv takes (pip compiles some of Salt's needs)
  if [ ! -x "$VENV/bin/python" ]; then
    python=$(find_python) || die "no Python 3.10 or newer found (Debian package python3)"
    say "creating .venv with $python"
    "$python" -m venv "$VENV" || { rm -rf "$VENV"; die "$python -m venv $VENV failed"; }
    venv_pip --upgrade pip || say "could not upgrade pip in .venv (above); going on with its own"
  fi
  say "installing $(basename "$requirements") into .venv"
  venv_pip -r "$requirements" ||
    die "pip install -r ${requirements#"$REPO_ROOT"/} failed (its error is above)"
  "$VENV/bin/python" -c 'import salt, packaging' ||
    die "pip installed ${requirements#"$REPO_ROOT"/} but Salt does not import (above)"
  cat "$REPO_ROOT"/requirements/*.txt >"$stamp"
}
