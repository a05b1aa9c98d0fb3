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
import struct

from . import data

RPMDB_SQLITE_PATHS = ("/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite")
DPKG_STATUS = "/var/lib/dpkg/status"


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


def _dpkg_paragraph_version(paragraph):
    """``(name, version)`` of one dpkg status paragraph; version is None unless installed."""
    fields = {}
    for line in paragraph.splitlines():
        if line[:1] in (" ", "\t") or ":" not in line:
            continue
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    name = fields.get("Package")
    if name and fields.get("Status", "").endswith(" installed") and "Version" in fields:
        return name, fields["Version"]
    return name, None


def parse_dpkg_status(text):
    """Installed packages in a dpkg status file: ``{name: version}``."""
    installed = {}
    for paragraph in text.split("\n\n"):
        name, version = _dpkg_paragraph_version(paragraph)
        if version is not None:
            installed.setdefault(name, version)
    return installed


def _line_starts(text, prefix):
    """Offsets in ``text`` where a line begins with ``prefix``."""
    if text.startswith(prefix):
        yield 0
    position = text.find(b"\n" + prefix)
    while position != -1:
        yield position + 1
        position = text.find(b"\n" + prefix, position + 1)


def find_dpkg_packages(status, names):
    """Installed versions of ``names`` only, from the bytes of a dpkg status file.

    The same answer as :func:`parse_dpkg_status` restricted to ``names``, without decoding and
    parsing the other packages' paragraphs: the grain looks for a few names in a file of
    thousands of packages (well under a millisecond instead of 15 on a 700 KB status file).
    """
    found = {}
    for name in names:
        for position in _line_starts(status, b"Package: " + name.encode() + b"\n"):
            start = status.rfind(b"\n\n", 0, position)
            start = 0 if start == -1 else start + 2
            end = status.find(b"\n\n", position)
            paragraph = status[start : None if end == -1 else end]
            found_name, version = _dpkg_paragraph_version(paragraph.decode("utf-8", "replace"))
            if version is not None and found_name == name:  # the first installed one, as dpkg
                found[name] = version
                break
    return found


# RPM header tags and types used by parse_rpm_header
_RPMTAG_NAME, _RPMTAG_VERSION, _RPMTAG_RELEASE, _RPMTAG_EPOCH = 1000, 1001, 1002, 1003
_RPM_INT32, _RPM_STRING = 4, 6


def parse_rpm_header(blob):
    """Name and ``[epoch:]version-release`` from an RPM header blob (as rpmdb.sqlite stores it)."""
    index_count, data_length = struct.unpack_from(">II", blob, 0)
    store_offset = 8 + 16 * index_count
    store = blob[store_offset : store_offset + data_length]
    values = {}
    for position in range(index_count):
        tag, kind, offset, _count = struct.unpack_from(">IIII", blob, 8 + 16 * position)
        if tag not in (_RPMTAG_NAME, _RPMTAG_VERSION, _RPMTAG_RELEASE, _RPMTAG_EPOCH):
            continue
        if kind == _RPM_STRING:
            end = store.index(b"\0", offset)
            values[tag] = store[offset:end].decode("utf-8", "replace")
        elif kind == _RPM_INT32:
            values[tag] = struct.unpack_from(">I", store, offset)[0]
    name = values.get(_RPMTAG_NAME)
    if name is None or _RPMTAG_VERSION not in values:
        return None, None
    evr = f"{values[_RPMTAG_VERSION]}-{values.get(_RPMTAG_RELEASE, '')}".rstrip("-")
    if values.get(_RPMTAG_EPOCH):
        evr = f"{values[_RPMTAG_EPOCH]}:{evr}"
    return name, evr


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
        if self.exists(DPKG_STATUS):
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
        packages = self.package_versions((data.MDATP_PACKAGE,)) or {}
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

    # -- package database ------------------------------------------------------------------
    def read_bytes(self, path):
        """The bytes of ``path`` under root, or None when it does not exist."""
        try:
            with open(self.path(path), "rb") as handle:
                return handle.read()
        except (FileNotFoundError, NotADirectoryError):
            return None

    @functools.cached_property
    def _dpkg_status(self):
        return self.read_bytes(DPKG_STATUS)

    @functools.cached_property
    def installed_packages(self):
        """``{name: version}`` of installed packages, or None when the database can't be read.

        dpkg's status file and rpmdb.sqlite are read directly; an older RPM database (Berkeley DB
        or ndb) is queried with ``rpm -qa`` only when ``allow_subprocess`` is set.
        """
        text = self.read_text(DPKG_STATUS)
        if text is not None and self.family in ("debian", None):
            return parse_dpkg_status(text)
        import sqlite3  # noqa: PLC0415 - only RPM machines pay for it

        for candidate in RPMDB_SQLITE_PATHS:
            path = self.path(candidate)
            if os.path.exists(path):
                try:
                    return _read_rpmdb_sqlite(path)
                except (sqlite3.Error, struct.error, ValueError):
                    break
        if self.allow_subprocess and self.root in ("/", "") and self.family in ("rpm", "mariner"):
            return _rpm_query_all()
        return None

    def package_versions(self, names):
        """``{name: version}`` for those of ``names`` that are installed, or None when the package
        database can't be read: the same answer as :attr:`installed_packages`, but a lookup of a
        few names reads only their entries (the grain's way: it runs at every minion start).
        """
        if "installed_packages" in self.__dict__:  # already read in full: use it
            installed = self.installed_packages
            if installed is None:
                return None
            return {name: installed[name] for name in names if name in installed}
        status = self._dpkg_status
        if status is not None and self.family in ("debian", None):
            return find_dpkg_packages(status, names)
        import sqlite3  # noqa: PLC0415 - only RPM machines pay for it

        for candidate in RPMDB_SQLITE_PATHS:
            path = self.path(candidate)
            if os.path.exists(path):
                try:
                    return _read_rpmdb_sqlite(path, names)
                except (sqlite3.Error, struct.error, ValueError):
                    break
        installed = self.installed_packages
        if installed is None:
            return None
        return {name: installed[name] for name in names if name in installed}


def _read_rpmdb_sqlite(path, names=None):
    """``{name: evr}`` from rpmdb.sqlite: every package, or only ``names`` through rpm's own
    ``Name`` index table (a database without it is read in full)."""
    import sqlite3  # noqa: PLC0415 - only RPM machines pay for it

    installed = {}
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = None
        if names is not None:
            names = list(names)
            try:
                rows = connection.execute(
                    "SELECT Packages.blob FROM Packages JOIN Name ON Name.hnum = Packages.hnum "
                    f"WHERE Name.key IN ({', '.join('?' * len(names))}) ORDER BY Packages.hnum",
                    names,
                ).fetchall()
            except sqlite3.OperationalError:  # no Name table: read every header
                rows = None
        if rows is None:
            rows = connection.execute("SELECT blob FROM Packages ORDER BY hnum")
        for (blob,) in rows:
            name, evr = parse_rpm_header(bytes(blob))
            if name and (names is None or name in names):
                installed.setdefault(name, evr)
    finally:
        connection.close()
    return installed


def _rpm_query_all():
    import subprocess  # noqa: PLC0415 - only old RPM databases need it

    try:
        completed = subprocess.run(
            ["rpm", "-qa", "--queryformat", "%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE}\\n"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    installed = {}
    for line in completed.stdout.splitlines():
        name, _, evr = line.partition(" ")
        installed.setdefault(name, evr.replace("(none):", ""))
    return installed
