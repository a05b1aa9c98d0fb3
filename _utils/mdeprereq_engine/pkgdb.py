"""The package database of a :class:`~.host.Host`: which packages are installed, at which version.

dpkg's status file and rpm's ``rpmdb.sqlite`` are read directly, under the host's root (so a
fixture tree stands for a machine); an older RPM database (Berkeley DB or ndb) is queried with
``rpm -qa`` only on the real root and only when the host allows subprocesses (grains never do).

* :func:`installed` reads the whole database once per host (every package, ``{name: version}``);
* :func:`versions` looks up a few names, reading only their entries (the grain's way: it runs at
  every minion start), or the full read when one was already made.

Both answer None when the database can't be read. The functions take the host for its
``root``, ``path``, ``read_bytes``, ``family`` and ``allow_subprocess``; what they read is kept
per host (a run creates one host), never in the host itself.
"""

import os
import struct
import weakref

RPMDB_SQLITE_PATHS = ("/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite")
DPKG_STATUS = "/var/lib/dpkg/status"

# What was read of each host's database, kept as long as the host lives: "status" (the bytes of
# dpkg's status file, or None) and "installed" (the full read)
_READ = weakref.WeakKeyDictionary()
_UNREAD = object()


def _cache(host):
    cache = _READ.get(host)
    if cache is None:
        cache = _READ[host] = {}
    return cache


def _is_real_root(host):
    return host.root in ("/", "")


def installed(host):
    """``{name: version}`` of the packages installed on ``host``, or None when its package
    database can't be read; read once per host.

    dpkg's status file and rpmdb.sqlite are read directly; an older RPM database (Berkeley DB
    or ndb) is queried with ``rpm -qa`` only when ``host.allow_subprocess`` is set.
    """
    cache = _cache(host)
    if "installed" not in cache:
        cache["installed"] = _read_all(host)
    return cache["installed"]


def _dpkg_status(host):
    cache = _cache(host)
    if "status" not in cache:
        cache["status"] = host.read_bytes(DPKG_STATUS)
    return cache["status"]


def _rpmdb_sqlite(host):
    """The path of the host's rpmdb.sqlite, or None."""
    for candidate in RPMDB_SQLITE_PATHS:
        path = host.path(candidate)
        if os.path.exists(path):
            return path
    return None


def _read_all(host):
    text = host.read_text(DPKG_STATUS)
    if text is not None and host.family in ("debian", None):
        return parse_dpkg_status(text)
    import sqlite3  # noqa: PLC0415 - only RPM machines pay for it

    path = _rpmdb_sqlite(host)
    if path is not None:
        try:
            return _read_rpmdb_sqlite(path)
        except (sqlite3.Error, struct.error, ValueError):
            pass
    if host.allow_subprocess and _is_real_root(host) and host.family in ("rpm", "mariner"):
        return _rpm_query_all()
    return None


def versions(host, names):
    """``{name: version}`` for those of ``names`` installed on ``host``, or None when its
    package database can't be read: the same answer as :func:`installed`, but a lookup of a few
    names reads only their entries (unless the whole database was already read).
    """
    full = _cache(host).get("installed", _UNREAD)
    if full is _UNREAD:
        status = _dpkg_status(host)
        if status is not None and host.family in ("debian", None):
            return find_dpkg_packages(status, names)
        import sqlite3  # noqa: PLC0415 - only RPM machines pay for it

        path = _rpmdb_sqlite(host)
        if path is not None:
            try:
                return _read_rpmdb_sqlite(path, names)
            except (sqlite3.Error, struct.error, ValueError):
                pass
        full = installed(host)
    if full is None:
        return None
    return {name: full[name] for name in names if name in full}


# -- dpkg -------------------------------------------------------------------------------------
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
    found = {}
    for paragraph in text.split("\n\n"):
        name, version = _dpkg_paragraph_version(paragraph)
        if version is not None:
            found.setdefault(name, version)
    return found


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


# -- rpm ---------------------------------------------------------------------------------------
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


def _read_rpmdb_sqlite(path, names=None):
    """``{name: evr}`` from rpmdb.sqlite: every package, or only ``names`` through rpm's own
    ``Name`` index table (a database without it is read in full)."""
    import sqlite3  # noqa: PLC0415 - only RPM machines pay for it

    found = {}
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
                found.setdefault(name, evr)
    finally:
        connection.close()
    return found


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
    found = {}
    for line in completed.stdout.splitlines():
        name, _, evr = line.partition(" ")
        found.setdefault(name, evr.replace("(none):", ""))
    return found
