"""The install-time proxy: which package manager, which file, and which Salt state sets it.

Plain Python: :func:`plan` decides, the Salt state ``mdeprereq.proxy_configured`` applies the Salt
states it names (``__states__``), so Salt changes the machine:

- apt: ``file.managed`` of our own drop-in :data:`.data.APT_PROXY_FILE`, whole contents
  (``Acquire::https::Proxy``, apt.conf(5));
- dnf, yum, tdnf: ``ini.options_present``, key ``proxy`` of section ``[main]`` of the file in
  :data:`.data.INI_PROXY_FILES` (dnf.conf(5), yum.conf(5)); every other line is Salt's ini
  module's to keep, which it does byte for byte when the file's ``key=value`` style is kept
  (``no_spaces``);
- zypper: ``file.keyvalue`` of ``PROXY_ENABLED`` and ``HTTPS_PROXY`` in
  :data:`.data.ZYPPER_PROXY_FILE` (SUSE's /etc/sysconfig/proxy, a shell-style file libzypp reads),
  in the file's own quoting.

A missing file is first created empty by ``file.managed``, mode 0644, owner root; an existing one
keeps its mode and owner (Salt's ini and keyvalue states rewrite it in place). :func:`render`
gives the same file as text, for ``mdeprereq.configure_proxy`` called on its own (an execution
module has no ``__states__``).
"""

import os
import re
import stat

from . import data, support
from .errors import MdeprereqError


class UnknownPackageManagerError(MdeprereqError):
    """No package manager this module can configure a proxy for on this OS."""


MARK = "Managed by Salt (mdeprereq.proxy_configured)"
# The keys each file takes (one source of truth for the Salt states and the text writer)
APT_PROXY_KEY = "Acquire::https::Proxy"
INI_SECTION, INI_KEY = "main", "proxy"
ZYPPER_ENABLED_KEY, ZYPPER_PROXY_KEY = "PROXY_ENABLED", "HTTPS_PROXY"
# A new file's mode and owner (the packages that ship these files install them 0644 root:root)
# (``makedirs``: a minimal SUSE may have no /etc/sysconfig yet; Salt gives the directory 0755)
NEW_FILE = {"mode": "0644", "user": "root", "group": "root", "makedirs": True}
# The Salt state that sets each package manager's proxy
SALT_STATES = {
    "apt": "file.managed",
    "dnf": "ini.options_present",
    "yum": "ini.options_present",
    "tdnf": "ini.options_present",
    "zypper": "file.keyvalue",
}


def package_manager(host):
    """``apt``, ``dnf``, ``yum``, ``zypper`` or ``tdnf`` for this host, or None
    (:func:`.support.package_manager`)."""
    os_id, version_id = host.os_release.get("ID", ""), host.os_release.get("VERSION_ID", "")
    return support.package_manager(os_id, version_id, host.family)


def proxy_file(manager):
    """The file (absolute, as on the machine) where ``manager`` takes its proxy."""
    if manager == "apt":
        return data.APT_PROXY_FILE
    if manager == "zypper":
        return data.ZYPPER_PROXY_FILE
    return data.INI_PROXY_FILES.get(manager)


def apt_contents(url):
    """The whole text of our apt drop-in for ``url``."""
    return f'// {MARK}\n{APT_PROXY_KEY} "{url.rstrip("/")}/";\n'


def _shell_assignments(text, name):
    """The values (stripped, quotes kept) of the uncommented ``name=...`` lines of a shell-style
    file, in order: the lines ``file.keyvalue`` matches."""
    return [
        value.strip() for value in re.findall(rf"^[ \t]*{name}=(.*)$", text or "", re.MULTILINE)
    ]


def _unquoted(value):
    quote = _quote(value)
    return value[1:-1] if quote and value.endswith(quote) and len(value) > 1 else value


def _quote(value):
    return value[0] if value[:1] in ('"', "'") else ""


def zypper_values(text, url):
    """``{"PROXY_ENABLED": ..., "HTTPS_PROXY": ...}`` as written in /etc/sysconfig/proxy: in the
    quotes the file uses for that key (or, when it has no value yet, for the other key), else
    SUSE's own double quotes. The URL holds no quote or shell metacharacter (it was validated),
    so any of the three styles reads back the same."""
    wanted = {ZYPPER_ENABLED_KEY: "yes", ZYPPER_PROXY_KEY: url}
    styles = {}
    for key in wanted:
        found = _shell_assignments(text, key)
        if found and found[0]:
            styles[key] = _quote(found[0])
    fallback = next(iter(styles.values()), '"')
    return {
        key: f"{styles.get(key, fallback)}{value}{styles.get(key, fallback)}"
        for key, value in wanted.items()
    }


def _ini_spaced(text):
    """Whether the file writes ``key = value`` (else ``key=value``, dnf's and yum's own style)."""
    for line in (text or "").splitlines():
        match = re.match(r"^\s*[^#;\[\s][^=]*?(\s*)=(\s*)", line)
        if match:
            return bool(match.group(1) or match.group(2))
    return False


def _mode_owner(path):
    """``file.managed``'s ``mode``, ``user`` and ``group`` of the existing file at ``path``
    (numeric ids: the owner need not have a name)."""
    info = os.stat(path)
    return {"mode": f"{stat.S_IMODE(info.st_mode):04o}", "user": info.st_uid, "group": info.st_gid}


def backup_state(path):
    """``(state, kwargs)``: the Salt state that keeps the existing file at ``path`` as
    ``<path>.bak``, with its mode and owner (``file.copy``'s ``preserve`` would lose an owner
    without a name)."""
    return (
        "file.copy",
        {"name": f"{path}.bak", "source": path, "force": True, **_mode_owner(path)},
    )


def salt_states(manager, path, text, url):
    """``[(state, kwargs), ...]``: the Salt states, in order, that set ``url`` in ``manager``'s
    file at ``path`` (whose text is ``text``, None when missing). No argument holds anything but
    the new proxy (never the file's other lines); ``show_changes=False`` wherever Salt's state
    takes it, so no diff of the file reaches a return."""
    state = SALT_STATES[manager]
    if manager == "apt":
        # file.managed replaces the file: it keeps the mode but takes the owner it is given
        # (else Salt's own user), so an existing file's are given
        kwargs = {"name": path, "contents": apt_contents(url), "show_changes": False}
        kwargs.update(NEW_FILE if text is None else _mode_owner(path))
        return [(state, kwargs)]
    steps = []
    if text is None:
        steps.append(("file.managed", {"name": path, "contents": "", "replace": False, **NEW_FILE}))
    if manager == "zypper":
        kwargs = {
            "name": path,
            "key_values": zypper_values(text, url),
            "separator": "=",
            "append_if_not_found": True,
            "create_if_missing": True,  # under test=True the file is not there yet
            "uncomment": None,  # commented examples (# HTTPS_PROXY="...") stay comments
            "count": 1,
            "show_changes": False,
        }
    else:
        kwargs = {
            "name": path,
            "sections": {INI_SECTION: {INI_KEY: url}},
            "separator": "=",
            "no_spaces": not _ini_spaced(text),
        }
    steps.append((state, kwargs))
    return steps


def _changed(manager, text, url):
    """Whether ``manager``'s file (``text``) does not set ``url`` yet, as the Salt state
    judges it."""
    if manager == "apt":
        return text != apt_contents(url)
    if manager == "zypper":
        for key, value in zypper_values(text, url).items():
            found = _shell_assignments(text, key)
            if len(found) != 1 or found[0] != value:  # file.keyvalue keeps one line per key
                return True
        return False
    return current_proxy(manager, text) != url


def plan(host, url):
    """What setting ``url`` (a valid, normalized ``http://host:port``) as the install-time proxy
    takes.

    :returns: ``{"manager", "file", "path", "exists", "old", "new", "changed", "states",
        "backup", "final_newline"}``: ``file`` as on the machine, ``path`` under the host's
        root; ``old`` the proxy the file sets now (None when none; NOT masked: the adapters
        mask it), ``new`` ``url``; ``states`` the Salt states that set it
        (:func:`salt_states`), ``backup`` the one that keeps an existing file as
        ``<file>.bak`` first (:func:`backup_state`), else None; ``final_newline`` whether the
        file needs its missing last newline first (Salt's ``file.keyvalue`` appends a key right
        after a last line without one).
    :raises UnknownPackageManagerError: no package manager this can configure on this OS
    """
    manager = package_manager(host)
    if manager is None:
        raise UnknownPackageManagerError(
            f"no known package manager for {host.os_release.get('ID', 'this OS')}"
        )
    name = proxy_file(manager)
    text = host.read_text(name)
    path = host.path(name)
    return {
        "manager": manager,
        "file": name,
        "path": path,
        "exists": text is not None,
        "old": current_proxy(manager, text),
        "new": url,
        "changed": _changed(manager, text, url),
        "states": salt_states(manager, path, text, url),
        "backup": backup_state(path) if text is not None else None,
        "final_newline": manager == "zypper" and bool(text) and not text.endswith("\n"),
    }


def render(manager, current, url):
    """The new text of ``manager``'s proxy file (``current`` is its text, or None), as the Salt
    states of :func:`salt_states` leave it: for ``mdeprereq.configure_proxy`` on its own."""
    current = current or ""
    if manager == "apt":
        # a file of our own: its whole content is ours
        return apt_contents(url)
    if manager == "zypper":
        text = current
        for key, value in zypper_values(current, url).items():
            text = _set_shell_variable(text, key, value)
        return text
    return _set_ini_key(current, INI_SECTION, INI_KEY, url)


def _set_shell_variable(text, name, value):
    """``text`` with its first ``name=`` line set to ``value`` and any later one removed (as
    ``file.keyvalue`` with ``count=1`` does), or the line appended."""
    pattern = re.compile(rf"^[ \t]*{name}=")
    lines, found = [], False
    for line in text.splitlines(keepends=True):
        if pattern.match(line):
            if not found:
                lines.append(f"{name}={value}\n")
            found = True
            continue
        lines.append(line)
    if found:
        return "".join(lines)
    return _append_line(text, f"{name}={value}")


def _set_ini_key(text, section, key, value):
    lines = text.splitlines()
    in_section = False
    section_end = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            if in_section:
                section_end = index
                break
            in_section = stripped[1:-1].strip() == section
            continue
        if in_section and re.match(rf"^{key}\s*=", stripped):
            lines[index] = f"{key}={value}"
            return "\n".join(lines) + "\n"
    if not in_section and section_end is None:
        # no such section: add it
        return _append_line(text, f"[{section}]\n{key}={value}")
    insert_at = section_end if section_end is not None else len(lines)
    while insert_at > 0 and not lines[insert_at - 1].strip():
        insert_at -= 1  # keep the blank lines between sections after our key
    lines.insert(insert_at, f"{key}={value}")
    return "\n".join(lines) + "\n"


def _append_line(text, line):
    if text and not text.endswith("\n"):
        text += "\n"
    return text + line + "\n"


def current_proxy(manager, text):
    """The proxy ``manager``'s file text sets, or None."""
    if not text:
        return None
    if manager == "apt":
        match = re.search(rf'{APT_PROXY_KEY}\s+"([^"]*)"', text)
        return match.group(1) if match else None
    if manager == "zypper":
        found = _shell_assignments(text, ZYPPER_PROXY_KEY)
        return (_unquoted(found[-1]) or None) if found else None  # the shell takes the last
    in_main = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            in_main = stripped == f"[{INI_SECTION}]"
        elif in_main and re.match(rf"^{INI_KEY}\s*=", stripped):
            return stripped.partition("=")[2].strip()
    return None
