"""The install-time proxy: where each package manager takes it, and the file content that sets it.

Only the proxy keys change; every other line of an existing file is kept as it is.
"""

import re

from . import data, support
from .errors import MdeprereqError


class UnknownPackageManagerError(MdeprereqError):
    """No package manager this module can configure a proxy for on this OS."""


MARK = "Managed by Salt (mdeprereq.proxy_configured)"


def package_manager(host):
    """``apt``, ``dnf``, ``yum``, ``zypper`` or ``tdnf`` for this host, or None
    (:func:`.support.package_manager`)."""
    os_id, version_id = host.os_release.get("ID", ""), host.os_release.get("VERSION_ID", "")
    return support.package_manager(os_id, version_id, host.family)


def proxy_file(manager):
    if manager == "apt":
        return data.APT_PROXY_FILE
    if manager == "zypper":
        return data.ZYPPER_PROXY_FILE
    return data.INI_PROXY_FILES.get(manager)


def render(manager, current, url):
    """The new text of ``manager``'s proxy file (``current`` is its text, or None)."""
    current = current or ""
    if manager == "apt":
        # a file of our own: its whole content is ours
        return f'// {MARK}\nAcquire::https::Proxy "{url.rstrip("/")}/";\n'
    if manager == "zypper":
        text = _set_shell_variable(current, "PROXY_ENABLED", "yes")
        return _set_shell_variable(text, "HTTPS_PROXY", url)
    return _set_ini_key(current, "main", "proxy", url)


def _set_shell_variable(text, name, value):
    line = f'{name}="{value}"'
    pattern = re.compile(rf"^\s*{name}=.*$", re.MULTILINE)
    if pattern.search(text):
        return pattern.sub(line, text, count=1)
    return _append_line(text, line)


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
        match = re.search(r'Acquire::https::Proxy\s+"([^"]*)"', text)
        return match.group(1) if match else None
    if manager == "zypper":
        match = re.search(r'^\s*HTTPS_PROXY="?([^"\n]*)"?', text, re.MULTILINE)
        return match.group(1) if match else None
    in_main = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            in_main = stripped == "[main]"
        elif in_main and re.match(r"^proxy\s*=", stripped):
            return stripped.partition("=")[2].strip()
    return None


def plan(host, url):
    """``{"manager", "path", "old", "new"}``: what setting ``url`` as install-time proxy takes.

    ``path`` is the file under the host's root; ``old`` its text (None when missing).
    """
    manager = package_manager(host)
    if manager is None:
        raise UnknownPackageManagerError(
            f"no known package manager for {host.os_release.get('ID', 'this OS')}"
        )
    name = proxy_file(manager)
    old = host.read_text(name)
    return {
        "manager": manager,
        "file": name,
        "path": host.path(name),
        "old": old,
        "new": render(manager, old, url),
    }
