"""A read-only view of the machine the checks look at.

Everything a check reads goes through :class:`Host`, so that unit tests can point it at a fixture
tree (``root`` for files such as os-release, ``proc`` for a fake /proc) and so that each fact is
read once per run however many checks use it.
"""

import functools
import json
import os
import platform
import posixpath
import re

from . import data, pkgdb


class Mount:
    """One line of /proc/<pid>/mountinfo."""

    __slots__ = ("fstype", "mount_point", "options", "source", "super_options")

    def __init__(self, mount_point, fstype, source, options, super_options):
        self.mount_point = mount_point
        self.fstype = fstype
        self.source = source
        self.options = options
        self.super_options = super_options

    @property
    def all_options(self):
        return self.options | self.super_options

    def option_value(self, name):
        """The value of ``name=value`` among the options, or None."""
        prefix = name + "="
        for option in self.all_options:
            if option.startswith(prefix):
                return option[len(prefix) :]
        return None


_OCTAL_ESCAPE = re.compile(rb"\\([0-7]{3})")


def _unescape_mount_field(text):
    # mountinfo escapes space, tab, newline and backslash as \ooo (bytes of a UTF-8 path)
    if "\\" not in text:
        return text
    raw = _OCTAL_ESCAPE.sub(lambda match: bytes([int(match.group(1), 8)]), text.encode())
    return raw.decode("utf-8", "replace")


def parse_mountinfo(text):
    """Parse mountinfo text into a list of :class:`Mount`; malformed lines are skipped."""
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        try:
            separator = fields.index("-", 6)
            mount_point = _unescape_mount_field(fields[4])
            options = set(fields[5].split(","))
            fstype = fields[separator + 1]
            source = _unescape_mount_field(fields[separator + 2])
            super_options = (
                set(fields[separator + 3].split(",")) if len(fields) > separator + 3 else set()
            )
        except (ValueError, IndexError):
            continue
        mounts.append(Mount(mount_point, fstype, source, options, super_options))
    return mounts


def parse_os_release(text):
    """Parse os-release ``KEY=value`` lines (shell quoting) into a dict."""
    values = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        values[key.strip()] = _unquote_shell_value(raw.strip())
    return values


def _unquote_shell_value(raw):
    # os-release values follow shell quoting: '...' is literal; in "..." a backslash escapes
    # one of \ " $ `; unquoted, a backslash escapes any character
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1]
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return re.sub(r'\\([\\"$`])', r"\1", raw[1:-1])
    if raw[:1] in ("'", '"'):
        raw = raw[1:]  # an unbalanced opening quote: take the rest as it is
    return re.sub(r"\\(.)", r"\1", raw)


class Host:
    """The machine under test, or a fixture tree that stands for it.

    :param root: where ``/etc``, ``/var/lib/dpkg`` and the other files are read from
    :param proc: the proc filesystem to scan
    :param arch: CPU architecture to use instead of the machine's
    :param allow_subprocess: whether a package query may run ``rpm`` when no database file can be
        read directly (grains never allow it)
    :param environ: the process environment the network checks read (``HTTPS_PROXY``, ...);
        default: this process's for root ``/``, an empty one for a fixture tree
    :param today: the date (a :class:`datetime.date`) support entries that end are judged on;
        default None: today's date in UTC, read when needed
    :param runner: what :meth:`run_command` calls instead of running a command (tests give
        recorded outputs this way); default: run it, on this machine only
    """

    def __init__(  # noqa: PLR0917 - keyword arguments of a fixture tree
        self,
        root="/",
        proc="/proc",
        arch=None,
        allow_subprocess=True,
        environ=None,
        today=None,
        *,
        runner=None,
    ):
        self.root = root
        self._today = today
        self.proc = proc
        self._arch = arch
        self.allow_subprocess = allow_subprocess
        self._runner = runner
        if environ is None:
            environ = os.environ if root in ("/", "") else {}
        self.environ = environ

    # -- files under root ------------------------------------------------------------------
    def path(self, path):
        """``path`` (absolute, as on the machine) under this host's root."""
        if self.root in ("/", ""):
            return path
        return os.path.join(self.root, path.lstrip("/"))

    def read_text(self, path):
        """The text of ``path`` under root, or None when it does not exist."""
        try:
            with open(self.path(path), encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def read_bytes(self, path):
        """The bytes of ``path`` under root, or None when it does not exist."""
        try:
            with open(self.path(path), "rb") as handle:
                return handle.read()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def exists(self, path):
        return os.path.lexists(self.path(path))

    @functools.cached_property
    def os_release(self):
        """os-release as a dict (empty when neither /etc/os-release nor /usr/lib/os-release is)."""
        for candidate in ("/etc/os-release", "/usr/lib/os-release"):
            text = self.read_text(candidate)
            if text is not None:
                return parse_os_release(text)
        return {}

    @functools.cached_property
    def family(self):
        """Package family of this distribution: ``debian``, ``rpm``, ``mariner`` or None."""
        os_id = self.os_release.get("ID", "")
        if os_id in data.FAMILY_BY_OS_ID:
            return data.FAMILY_BY_OS_ID[os_id]
        for like in self.os_release.get("ID_LIKE", "").split():
            if like in data.FAMILY_BY_ID_LIKE:
                return data.FAMILY_BY_ID_LIKE[like]
        if self.exists(pkgdb.DPKG_STATUS):
            return "debian"
        return None

    # -- the running machine ---------------------------------------------------------------
    @property
    def arch(self):
        machine = self._arch or platform.machine()
        return data.ARCH_ALIASES.get(machine, machine)

    def today(self):
        """The injected date, or None for "today in UTC" (decided where a date is needed)."""
        return self._today

    def euid(self):
        return os.geteuid()

    def kernel_release(self):
        text = self.proc_text("sys/kernel/osrelease")
        return text.strip() if text else platform.release()

    def libc_version(self):
        """The running C library's glibc version, or None (musl, or not readable)."""
        try:
            value = os.confstr("CS_GNU_LIBC_VERSION")
        except (ValueError, OSError):
            return None
        if value and value.startswith("glibc "):
            return value.split()[1]
        return None

    def cpu_count(self):
        text = self.proc_text("cpuinfo")
        if text:
            count = sum(1 for line in text.splitlines() if line.startswith("processor"))
            if count:
                return count
        return os.cpu_count()

    def statvfs(self, path):
        return os.statvfs(path)

    # -- /proc -----------------------------------------------------------------------------
    def proc_path(self, *parts):
        return os.path.join(self.proc, *parts)

    def proc_text(self, *parts):
        try:
            with open(self.proc_path(*parts), encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except (FileNotFoundError, ProcessLookupError, NotADirectoryError, PermissionError):
            return None

    @functools.cached_property
    def mounts(self):
        """Mounts of this host (from ``<proc>/self/mountinfo``, else ``<proc>/1/mountinfo``)."""
        text = self.proc_text("self", "mountinfo") or self.proc_text("1", "mountinfo")
        return parse_mountinfo(text) if text else []

    def mount_of(self, path):
        """The mount holding ``path`` (the longest mount point that is a prefix), or None."""
        if self.root in ("/", ""):
            path = os.path.realpath(path)
        best = None
        for mount in self.mounts:
            point = mount.mount_point
            if point in ("/", path) or path.startswith(point + "/"):
                # ">=": a later mount on the same point hides the earlier one
                if best is None or len(point) >= len(best.mount_point):
                    best = mount
        return best

    # -- mdatp itself ----------------------------------------------------------------------
    def mdatp_installed(self, install_path=data.DEFAULT_INSTALL_PATH):
        """Whether mdatp is installed: its package, or its daemon under ``install_path``."""
        packages = pkgdb.versions(self, (data.MDATP_PACKAGE,)) or {}
        daemon = posixpath.join(install_path, data.DAEMON_RELATIVE_PATH)
        return data.MDATP_PACKAGE in packages or self.exists(daemon)

    @functools.cached_property
    def custom_install_location(self):
        """The custom install location Microsoft's installer recorded in ``mde_path.json``
        (101.25062.0003+), or None. Microsoft's installer writes ``{"path": P}`` (P ends in
        ``/microsoft_mdatp``); an older page of its docs wrote ``{"install_path": P}``: both are
        read. Either way ``/opt/microsoft/mdatp`` is then a symlink to ``P/opt/microsoft/mdatp``
        (mde_installer.sh ``handle_custom_installation``; linux-install-manually.md)."""
        text = self.read_text(data.MDE_PATH_JSON)
        if not text:
            return None
        try:
            recorded = json.loads(text)
        except ValueError:
            return None
        if not isinstance(recorded, dict):
            return None
        path = recorded.get("path") or recorded.get("install_path")
        if not isinstance(path, str) or not path.startswith("/"):
            return None
        return posixpath.normpath(path)

    def resolve(self, path):
        """``path`` with every symlink on the way resolved inside this host's root (a link's
        absolute target is read as under the root), or None for a loop."""
        parts = [part for part in path.split("/") if part]
        resolved, hops = "/", 0
        while parts:
            current = posixpath.join(resolved, parts.pop(0))
            if os.path.islink(self.path(current)):
                hops += 1
                if hops > 40:
                    return None
                target = os.readlink(self.path(current))
                base = "/" if target.startswith("/") else resolved
                parts = [part for part in posixpath.join(base, target).split("/") if part] + parts
                resolved = "/"
                continue
            resolved = current
        return resolved

    def daemon_paths(self, install_path=data.DEFAULT_INSTALL_PATH):
        """Where mdatp's own wdavdaemon may run from: ``<install_path>/sbin/wdavdaemon`` and,
        when ``install_path`` is a symlink (Microsoft's custom install location), the path it
        resolves to (``/proc/<pid>/exe`` shows that one)."""
        paths = {posixpath.join(install_path, data.DAEMON_RELATIVE_PATH)}
        real = self.resolve(install_path)
        if real:
            paths.add(posixpath.join(real, data.DAEMON_RELATIVE_PATH))
        custom = self.custom_install_location
        if custom and install_path == data.DEFAULT_INSTALL_PATH:
            paths.add(posixpath.join(custom, install_path.lstrip("/"), data.DAEMON_RELATIVE_PATH))
        return paths

    def mdatp_running(self, install_path=data.DEFAULT_INSTALL_PATH):
        """Whether a process runs mdatp's daemon (``<install_path>/sbin/wdavdaemon``, or where a
        custom install location puts it)."""
        daemons = self.daemon_paths(install_path)
        try:
            pids = [entry for entry in os.listdir(self.proc) if entry.isdigit()]
        except OSError:
            return False
        for pid in pids:
            try:
                exe = os.readlink(self.proc_path(pid, "exe"))
            except OSError:
                continue
            if exe.removesuffix(" (deleted)") in daemons:
                return True
        return False

    def run_command(self, argv, timeout=60):
        """``(returncode, stdout, stderr)`` of ``argv`` (in the C locale), or None when it can't
        run here: no such command, subprocesses not allowed, or a fixture tree (whose commands
        are not this machine's). A command that hangs past ``timeout`` seconds is killed and
        reported as return code 124, like ``timeout(1)``."""
        if self._runner is not None:
            return self._runner(list(argv))
        if not self.allow_subprocess or self.root not in ("/", ""):
            return None
        import subprocess  # noqa: PLC0415 - the grain (no commands) never pays for it

        try:
            completed = subprocess.run(
                list(argv),
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                check=False,
                env={**os.environ, "LC_ALL": "C"},  # dates in the C locale's month names
            )
        except FileNotFoundError:
            return None
        except subprocess.TimeoutExpired:
            return 124, "", f"{argv[0]} did not answer within {timeout} s"
        except OSError as exc:
            return 126, "", f"{argv[0]} could not run: {exc}"
        return completed.returncode, completed.stdout, completed.stderr
