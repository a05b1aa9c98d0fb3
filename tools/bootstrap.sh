# shellcheck shell=bash
# Sourced by tools/check, tools/test and tools/bench. Brings a bare Debian 12 or 13 (python3, python3-venv, git,
# ca-certificates) to what the command needs: the Debian packages of tools/debian-packages.txt
# (installed as root; as another user it stops and names them) and .venv (Python 3.10+, as Salt
# 3008 wants) with a requirements file installed, again only when requirements/ changed.
# A package Debian does not have in this release (mitmproxy in Debian 13) may name a PyPI
# fallback (`mitmproxy pip:mitmproxy==X`): it goes into a virtualenv of its own under
# .local/pip-tools/, whose bin/ pip_tools_path puts at the end of PATH.
# Any step that fails stops the command with that step's own error.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$REPO_ROOT/.venv"
PIP_TOOLS="$REPO_ROOT/.local/pip-tools"
DEBIAN_PACKAGES="$REPO_ROOT/tools/debian-packages.txt"

say() { printf '[mdeprereq] %s\n' "$*" >&2; }

die() {
  say "error: $*"
  exit 1
}

as_root() { [ "$(id -u)" -eq 0 ]; }

# Salt takes any process whose script path holds "proxy" for a proxy minion
# (salt.utils.platform.is_proxy; saltstack/salt#60790): .venv/bin/salt-call in such a clone gets
# the kernel grain "proxy" and no Linux modules. Refuse it before building anything.
case "$REPO_ROOT" in
  *proxy*) die "this clone's path $REPO_ROOT contains \"proxy\": Salt would take every salt-call here for a proxy minion (salt.utils.platform.is_proxy, saltstack/salt#60790). Clone it into a path without that word." ;;
esac

debian_packages() {
  # debian_packages SECTION...: the packages listed under [SECTION] in tools/debian-packages.txt
  awk -v wanted=" $* " -v file="$DEBIAN_PACKAGES" '
    /^[[:space:]]*(#|$)/ { next }
    /^\[[a-z]+\][[:space:]]*$/ { section = $1; gsub(/[][]/, "", section); next }
    section == "" { printf "%s:%d: a package before any [section]\n", file, NR > "/dev/stderr"; exit 2 }
    index(wanted, " " section " ") { print $1 }
  ' "$DEBIAN_PACKAGES"
}

pip_fallback() {
  # pip_fallback PKG: the PyPI requirement tools/debian-packages.txt names for PKG, if any
  awk -v pkg="$1" '$1 == pkg && $2 ~ /^pip:/ { sub(/^pip:/, "", $2); print $2; exit }' \
    "$DEBIAN_PACKAGES"
}

pip_tool_installed() {
  # pip_tool_installed PKG: PKG's PyPI fallback is installed, at the version the list names
  local requirement
  requirement=$(pip_fallback "$1")
  [ -n "$requirement" ] && [ "$(cat "$PIP_TOOLS/$1/.installed" 2>/dev/null)" = "$requirement" ]
}

pip_tool_install() {
  # pip_tool_install PKG: PKG's PyPI fallback into .local/pip-tools/PKG (no root needed)
  local requirement python
  requirement=$(pip_fallback "$1")
  python=$(find_python) || die "no Python 3.10 or newer found (Debian package python3)"
  say "Debian has no $1 package here: installing $requirement from PyPI into .local/pip-tools/$1"
  rm -rf "${PIP_TOOLS:?}/$1"
  "$python" -m venv "$PIP_TOOLS/$1" || die "$python -m venv $PIP_TOOLS/$1 failed"
  "$PIP_TOOLS/$1/bin/python" -m pip install -q "$requirement" 2>&1 |
    { grep -v "^WARNING: Location 'file:" || true; } >&2 ||
    die "pip install $requirement failed (its error is above)"
  printf '%s\n' "$requirement" >"$PIP_TOOLS/$1/.installed"
}

pip_tools_path() {
  # The PyPI fallbacks' commands, after everything else on PATH (their python3 never wins)
  local bin
  for bin in "$PIP_TOOLS"/*/bin; do
    [ -d "$bin" ] && PATH="$PATH:$bin"
  done
  export PATH
}

has_candidate() {
  # has_candidate PKG: apt can install PKG (from the package lists as they are)
  local policy
  policy=$(apt-cache policy "$1" 2>/dev/null) || return 1
  [[ "$policy" =~ Candidate:\ [^\(] ]]
}

apt_install() {
  # apt_install PKG...: install the Debian packages that are missing (root only; anyone else
  # gets an error naming them and the command that installs them); one Debian does not have
  # here but the list gives a PyPI fallback for gets that instead (as any user)
  local missing=() pkg status
  if ! command -v dpkg-query >/dev/null; then
    say "not a Debian system: make sure these (Debian names) are installed: $*"
    return 0
  fi
  for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) || status=
    [[ "$status" == *" installed" ]] || pip_tool_installed "$pkg" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  export DEBIAN_FRONTEND=noninteractive
  if as_root && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null || die "apt-get update failed (its error is above)"
  fi
  local from_debian=()
  for pkg in "${missing[@]}"; do
    if [ -n "$(pip_fallback "$pkg")" ] && ! has_candidate "$pkg"; then
      pip_tool_install "$pkg"
    else
      from_debian+=("$pkg")
    fi
  done
  missing=("${from_debian[@]}")
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! as_root; then
    die "missing Debian packages: ${missing[*]}. Install them as root" \
      "(apt-get install --no-install-recommends ${missing[*]}), or run $(basename "$0") as root," \
      "which installs them (the list: tools/debian-packages.txt)"
  fi
  command -v apt-get >/dev/null || die "missing Debian packages: ${missing[*]}, and no apt-get"
  say "installing Debian packages: ${missing[*]}"
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
