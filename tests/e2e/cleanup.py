"""Put the machine back as a test that adds the fake Microsoft repository and installs the mdatp
TEST DOUBLE found it (the logic of the ``mdatp_cleanup`` fixture, testable on its own).

``Snapshot.take()`` records, before the test: mdatp's dpkg status; every file of apt's source,
keyring and preference places (with its bytes); whether the user and group ``mdatp`` exist; the
tree under ``/etc/opt/microsoft``; whether (and with which mode) ``/etc/opt``, ``/opt``,
``/var/opt`` and their ``microsoft`` directories exist; apt's list files and cached
``mdatp_*.deb``; mdatp's systemd "wants" link.

``restore(before, repo_url)`` then, whatever the test did or failed to do:

1. purges mdatp (``apt-get purge -y mdatp``, else ``dpkg --purge --force-all``) if it was not
   installed before and dpkg knows it now;
2. removes new apt sources that point at ``repo_url`` (any file of ``/etc/apt/sources.list.d``,
   one-line or deb822), new keyrings (``/usr/share/keyrings``, ``/etc/apt/keyrings``,
   ``/etc/apt/trusted.gpg.d``, ``/etc/apt/trusted.gpg``) that are the fixture's key, are named
   ``microsoft*``, are apt-key's ``trusted.gpg`` or are a removed source's ``signed-by``, new
   preferences naming mdatp or the repository; and puts back any file of those places that existed
   before and was changed or removed;
3. removes the repository's apt lists and the cached ``mdatp_*.deb`` files apt downloaded;
4. removes the user and group ``mdatp`` if they did not exist before;
5. removes ``/etc/opt/microsoft`` (and ``/opt/microsoft``, ``/var/opt/microsoft``, ``/etc/opt``)
   if it did not exist before, else only what is new under it, putting changed files back;
   makes ``/etc/opt`` (and the others) again if it existed (dpkg removes an empty ``/etc/opt``
   that no other package owns along with mdatp);
6. runs ``apt-get update`` only if it removed or put back a source.

Before all that it stops, by pid, any wdavdaemon (the double's daemon) that was not running
before, and removes its pid file if it was left behind.

Whatever it could not undo is raised at the end (``CleanupError``), after trying everything.
"""

import contextlib
import dataclasses
import grp
import hashlib
import os
import pathlib
import pwd
import re
import shutil
import signal
import subprocess
import time
import urllib.parse

from tests.e2e import fake_mdatp

SOURCE_PLACES = (pathlib.Path("/etc/apt/sources.list"), pathlib.Path("/etc/apt/sources.list.d"))
KEYRING_PLACES = (
    pathlib.Path("/usr/share/keyrings"),
    pathlib.Path("/etc/apt/keyrings"),
    pathlib.Path("/etc/apt/trusted.gpg.d"),
    pathlib.Path("/etc/apt/trusted.gpg"),
)
PREFERENCE_PLACES = (pathlib.Path("/etc/apt/preferences"), pathlib.Path("/etc/apt/preferences.d"))
ETC_MICROSOFT = pathlib.Path("/etc/opt/microsoft")
# Directories the package or the test may create, or dpkg may remove with the package (it
# removes /etc/opt with it when nothing else is there and no other package owns it): removed
# whole when they did not exist before, made again (same mode) when they did; deepest first
WATCHED_DIRS = (
    ETC_MICROSOFT,
    pathlib.Path("/opt/microsoft"),
    pathlib.Path("/var/opt/microsoft"),
    pathlib.Path("/etc/opt"),
    pathlib.Path("/opt"),
    pathlib.Path("/var/opt"),
)
APT_LISTS = pathlib.Path("/var/lib/apt/lists")
APT_ARCHIVES = pathlib.Path("/var/cache/apt/archives")
WANTS_LINK = pathlib.Path("/etc/systemd/system/multi-user.target.wants/mdatp.service")
ACCOUNT = "mdatp"
DAEMON = fake_mdatp.DAEMON
DAEMON_PID_FILE = fake_mdatp.DAEMON_PID_FILE
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
SIGNED_BY = re.compile(r"signed-by\s*[=:]\s*(\S+?)(?:[\s\]]|$)", re.IGNORECASE)


class CleanupError(AssertionError):
    """What the cleanup could not undo."""


def _files(place):
    """``{path: bytes}`` of the regular files at ``place`` (a file, or a directory's files)."""
    if place.is_file():
        return {place: place.read_bytes()}
    if place.is_dir():
        return {path: path.read_bytes() for path in sorted(place.iterdir()) if path.is_file()}
    return {}


def _tree(root):
    """``{relative path: bytes, or None for a directory}`` of everything under ``root``."""
    if not root.is_dir():
        return None
    tree = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        tree[relative] = None if path.is_dir() and not path.is_symlink() else _read(path)
    return tree


def _read(path):
    try:
        return os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
    except OSError:
        return b""


def _mode(path):
    """The permission bits of directory ``path``, or None if it is not one."""
    try:
        return path.stat().st_mode & 0o7777 if path.is_dir() else None
    except OSError:
        return None


def package_status(package="mdatp"):
    """dpkg's ``${Status}`` of ``package`` (``install ok installed``), or None if unknown."""
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **APT_ENV},
    )
    status = result.stdout.strip()
    return status if result.returncode == 0 and not status.endswith("not-installed") else None


def _exists(lookup, name):
    try:
        lookup(name)
    except KeyError:
        return False
    return True


def user_exists(name=ACCOUNT):
    return _exists(pwd.getpwnam, name)


def group_exists(name=ACCOUNT):
    return _exists(grp.getgrnam, name)


@dataclasses.dataclass
class Snapshot:
    package: str
    sources: dict
    keyrings: dict
    preferences: dict
    user: bool
    group: bool
    etc_microsoft: dict
    dirs: dict
    lists: frozenset
    archives: frozenset
    wants_link: bool
    daemons: frozenset = frozenset()

    @classmethod
    def take(cls):
        def gather(places):
            return {path: data for place in places for path, data in _files(place).items()}

        return cls(
            package=package_status(),
            sources=gather(SOURCE_PLACES),
            keyrings=gather(KEYRING_PLACES),
            preferences=gather(PREFERENCE_PLACES),
            user=user_exists(),
            group=group_exists(),
            etc_microsoft=_tree(ETC_MICROSOFT),
            dirs={path: _mode(path) for path in WATCHED_DIRS},
            lists=frozenset(path.name for path in APT_LISTS.glob("*") if path.is_file()),
            archives=frozenset(path.name for path in APT_ARCHIVES.glob("mdatp_*")),
            wants_link=WANTS_LINK.is_symlink() or WANTS_LINK.exists(),
            daemons=frozenset(daemon_pids()),
        )

    def comparable(self):
        """Everything recorded, with file contents as digests: equal when the machine is as it
        was (for tests to assert on)."""

        def digests(files):
            if files is None:
                return None
            return {
                str(path): None if data is None else hashlib.sha256(data).hexdigest()
                for path, data in files.items()
            }

        return {
            "package": self.package,
            "sources": digests(self.sources),
            "keyrings": digests(self.keyrings),
            "preferences": digests(self.preferences),
            "user": self.user,
            "group": self.group,
            "etc_microsoft": digests(self.etc_microsoft),
            "dirs": {str(path): mode for path, mode in self.dirs.items()},
            "lists": sorted(self.lists),
            "archives": sorted(self.archives),
            "wants_link": self.wants_link,
            "daemons": sorted(self.daemons),
        }


def daemon_pids():
    """The pids of the processes running ``DAEMON`` (the double's wdavdaemon; an upgraded or
    purged one shows as ``<path> (deleted)``)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{entry}/exe")
        except OSError:
            continue
        if exe.removesuffix(" (deleted)") == DAEMON:
            pids.append(int(entry))
    return pids


def _stop_daemons(before, problems, timeout=10):
    """SIGTERM, by pid, the wdavdaemons that were not running before; SIGKILL what is left."""
    pids = [pid for pid in daemon_pids() if pid not in before.daemons]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if pid in daemon_pids()]
        time.sleep(0.05)
    for pid in pids:
        problems.append(f"wdavdaemon (pid {pid}) ignored SIGTERM: killed")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    # its pid file, if it could not remove it itself (killed)
    if not before.daemons and os.path.lexists(DAEMON_PID_FILE):
        _remove(pathlib.Path(DAEMON_PID_FILE), problems)


def _run(command, problems, timeout=300):
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, **APT_ENV},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        problems.append(f"{' '.join(command)}: {exc}")
        return False
    if result.returncode != 0:
        problems.append(
            f"{' '.join(command)} exited {result.returncode}: {result.stderr.strip()[-2000:]}"
        )
        return False
    return True


def _remove(path, problems):
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    except OSError as exc:
        problems.append(f"could not remove {path}: {exc}")


def _put_back(path, data, problems):
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        problems.append(f"could not restore {path}: {exc}")


def _points_at(data, markers):
    text = data.decode("utf-8", "replace")
    return any(marker in text for marker in markers)


def _restore_files(before, now, wanted, problems):
    """Remove the new files of ``now`` that ``wanted(path, data)`` claims; put back those of
    ``before`` that changed or went. Returns ``(removed, restored)`` paths."""
    removed, restored = [], []
    for path, data in now.items():
        if path not in before and wanted(path, data):
            _remove(path, problems)
            removed.append(path)
    for path, data in before.items():
        if now.get(path) != data:
            _put_back(path, data, problems)
            restored.append(path)
    return removed, restored


def _repo_markers(repo_url):
    """Strings whose presence in a file means it points at the repository."""
    parts = urllib.parse.urlsplit(repo_url)
    return (repo_url.rstrip("/"), parts.netloc)


def restore(before, repo_url, repo_keys=(), extra_paths=()):
    """Undo, as far as possible, what happened since ``before``; returns the problems left
    (empty: the machine is as it was)."""
    problems = []
    markers = _repo_markers(repo_url)

    # 0. a wdavdaemon the test started and left running (no systemd here to stop it)
    _stop_daemons(before, problems)

    # 1. the package, while its scripts and the user are still there
    if before.package is None and package_status() is not None:
        command = ["apt-get", "purge", "-y", "-q", "mdatp"]
        if not _run(command, []):
            _run(["dpkg", "--purge", "--force-all", "mdatp"], problems)

    # 2. apt sources, keyrings, preferences
    now = Snapshot.take()
    removed_sources, restored_sources = _restore_files(
        before.sources, now.sources, lambda _path, data: _points_at(data, markers), problems
    )
    signed_by = {
        pathlib.Path(match)
        for path in [*removed_sources, *restored_sources]
        for match in SIGNED_BY.findall(now.sources.get(path, b"").decode("utf-8", "replace"))
    }
    key_bytes = {pathlib.Path(key).read_bytes() for key in repo_keys}

    def ours(path, data):
        # apt-key's keyring (/etc/apt/trusted.gpg) is only ever new when the test made it
        named = path.name.startswith("microsoft") or path == pathlib.Path("/etc/apt/trusted.gpg")
        return named or path in signed_by or data in key_bytes

    _restore_files(before.keyrings, now.keyrings, ours, problems)
    _restore_files(
        before.preferences,
        now.preferences,
        lambda _path, data: _points_at(data, (*markers, "mdatp")),
        problems,
    )

    # 3. what apt fetched from the repository
    host = urllib.parse.urlsplit(repo_url).hostname or ""
    port = str(urllib.parse.urlsplit(repo_url).port or "")
    for path in APT_LISTS.glob("*"):
        if path.name not in before.lists and host in path.name and port in path.name:
            _remove(path, problems)
    for path in APT_ARCHIVES.glob("mdatp_*"):
        if path.name not in before.archives:
            _remove(path, problems)
    for path in (APT_ARCHIVES / "partial").glob("mdatp_*"):
        _remove(path, problems)

    # 4. the account
    if not before.user and user_exists():
        _run(["userdel", ACCOUNT], problems)
    if not before.group and group_exists():
        _run(["groupdel", ACCOUNT], problems)

    # 5. directories and files
    if before.etc_microsoft is not None:
        now_tree = _tree(ETC_MICROSOFT) or {}
        for relative in sorted(set(now_tree) - set(before.etc_microsoft), reverse=True):
            _remove(ETC_MICROSOFT / relative, problems)
        for relative, data in sorted(before.etc_microsoft.items()):
            path = ETC_MICROSOFT / relative
            if data is None:
                path.mkdir(parents=True, exist_ok=True)
            elif _read(path) != data and not path.is_symlink():
                _put_back(path, data, problems)
    for path, mode in before.dirs.items():  # deepest first
        if mode is None and os.path.lexists(path):
            _remove(path, problems)
    for path, mode in reversed(before.dirs.items()):  # shallowest first
        if mode is not None and _mode(path) != mode:
            try:
                path.mkdir(mode=mode, exist_ok=True)
                path.chmod(mode)
            except OSError as exc:
                problems.append(f"could not make {path} again: {exc}")
    if not before.wants_link and (WANTS_LINK.is_symlink() or WANTS_LINK.exists()):
        _remove(WANTS_LINK, problems)
    for path in extra_paths:
        _remove(pathlib.Path(path), problems)

    # 6. apt's view of the sources
    if removed_sources or restored_sources:
        _run(["apt-get", "update", "-q"], problems)
    return problems


class Tracker:
    """What the ``mdatp_cleanup`` fixture yields: the snapshot, and ``track(path)`` for any
    other file or directory the test makes that the cleanup should remove."""

    def __init__(self, before):
        self.before = before
        self.extra_paths = []

    def track(self, path):
        self.extra_paths.append(pathlib.Path(path))
        return path


@contextlib.contextmanager
def machine_restored(repo_url, repo_keys=()):
    """Snapshot the machine, run the block, put the machine back; raise CleanupError (after the
    block's own exception, if any, as its context) for what could not be undone."""
    tracker = Tracker(Snapshot.take())
    try:
        yield tracker
    finally:
        problems = restore(tracker.before, repo_url, repo_keys, tracker.extra_paths)
        if problems:
            raise CleanupError("the machine was not left as found:\n" + "\n".join(problems))
