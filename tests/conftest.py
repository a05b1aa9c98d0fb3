"""Fixtures shared by every test directory."""

import os
import pathlib
import re
import shutil
import subprocess
import time

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
CHECK_IDS = (
    "distro",
    "kernel",
    "cpu",
    "memory",
    "disk",
    "systemd",
    "privileges",
    "glibc",
    "fanotify",
    "filesystems",
    "dependencies",
    "mdatp_version",
    "mdatp_user",
    "install_path",
    "isolation",
    "proxy",
    "connectivity",
    "fanotify_kernel",
    "ebpf",
    "agent_service",
    "agent_health",
    "agent_version",
    "agent_definitions",
    "agent_protection",
)
ENTRY_KEYS = {"status", "message", "remediation", "fixable", "facts"}


def assert_check_schema(result, expected_ids=CHECK_IDS):
    """``result`` has mdeprereq.check's public schema, consistently filled in."""
    assert set(result) == {"ready", "summary", "checks"}
    assert set(result["checks"]) == set(expected_ids)
    assert set(result["summary"]) == {"pass", "warn", "fail", "skip"}
    assert sum(result["summary"].values()) == len(expected_ids)
    for check_id, entry in result["checks"].items():
        assert set(entry) == ENTRY_KEYS, check_id
        assert entry["status"] in result["summary"], check_id
        assert isinstance(entry["message"], str) and entry["message"], check_id
        assert entry["remediation"] is None or isinstance(entry["remediation"], str), check_id
        assert isinstance(entry["fixable"], bool), check_id
        assert isinstance(entry["facts"], dict), check_id
        if entry["status"] == "fail":
            assert entry["remediation"], f"{check_id} fails without a remediation"
    for status, count in result["summary"].items():
        assert count == sum(1 for e in result["checks"].values() if e["status"] == status)
    assert result["ready"] is (result["summary"]["fail"] == 0)


def is_root():
    return os.geteuid() == 0


@pytest.fixture(scope="session")
def repo_root():
    return REPO_ROOT


def pytest_unconfigure(config):
    # Salt buffers early log records in a handler bound to the sys.stderr of the moment (pytest's
    # capture) and flushes it at exit, when that stream is closed: drop it while it still works.
    try:
        import salt._logging.impl as salt_logging
    except ImportError:
        return
    salt_logging.shutdown_temp_handler()


MANAGED_DIR = pathlib.Path("/etc/opt/microsoft/mdatp/managed")
MANAGED_JSON = MANAGED_DIR / "mdatp_managed.json"


@pytest.fixture
def managed_json_restored():
    """Whatever a test does to mdatp's managed settings, put them back as they were."""
    created = [path for path in reversed(MANAGED_JSON.parents[:4]) if not path.exists()]
    backup = MANAGED_JSON.with_suffix(".json.bak")
    saved = {path: path.read_bytes() for path in (MANAGED_JSON, backup) if path.exists()}
    try:
        yield MANAGED_JSON
    finally:
        for path in (MANAGED_JSON, backup):
            if path in saved:
                path.write_bytes(saved[path])
            elif path.exists():
                path.unlink()
        for path in reversed(created):  # deepest first
            if path.exists():
                shutil.rmtree(path)


def free_account_id(start=47000):
    """An id that is neither a uid nor a gid on this machine."""
    import grp
    import pwd

    taken = {entry.pw_uid for entry in pwd.getpwall()} | {entry.gr_gid for entry in grp.getgrall()}
    return next(candidate for candidate in range(start, start + 10000) if candidate not in taken)


def mdatp_exists():
    """Whether this machine has a user or a group named mdatp (a test that would create them
    skips: it must not take over, nor later delete, an account it did not make)."""
    import grp
    import pwd

    for lookup in (pwd.getpwnam, grp.getgrnam):
        try:
            lookup("mdatp")
        except KeyError:
            continue
        return True
    return False


@pytest.fixture
def mdatp_account_removed():
    """Deletes the mdatp user and group a test causes to exist, whatever happens (skips when
    either exists already)."""
    if mdatp_exists():
        pytest.skip("a user or group mdatp exists on this machine already")
    try:
        yield
    finally:
        subprocess.run(["userdel", "mdatp"], capture_output=True, check=False)
        subprocess.run(["groupdel", "mdatp"], capture_output=True, check=False)


FAPOLICYD_CONF = pathlib.Path("/etc/fapolicyd/fapolicyd.conf")
FAPOLICYD_RULES = pathlib.Path("/etc/fapolicyd/compiled.rules")


def _fanotify_fds(pid):
    try:
        return [
            fd
            for fd in os.listdir(f"/proc/{pid}/fd")
            if os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:[fanotify]"
        ]
    except OSError:
        return []


@pytest.fixture
def fapolicyd_running():
    """The real fapolicyd from Debian, in permissive mode (it never denies), in the foreground;
    stopped by its own pid and its configuration put back, whatever happens to the test."""
    binary = shutil.which("fapolicyd")
    if binary is None:
        if is_root():
            pytest.fail("fapolicyd is missing: tools/test installs it (tools/debian-packages.txt)")
        pytest.skip("fapolicyd is not installed")
    if not is_root():
        pytest.skip("fapolicyd needs root")
    saved_conf = FAPOLICYD_CONF.read_bytes()
    rules_existed = FAPOLICYD_RULES.exists()
    process = None
    try:
        # Run as root: dropping to its own user needs capabilities a container may not grant
        conf = re.sub(rb"(?m)^(uid|gid) = .*$", rb"\1 = root", saved_conf)
        FAPOLICYD_CONF.write_bytes(conf)
        if not rules_existed:
            subprocess.run(["fagenrules"], check=True, capture_output=True, timeout=60)
        # --debug keeps it in the foreground (its pid is ours to stop); its output is not read, so
        # it must not go to a pipe that could fill up and stall it while it holds file access
        process = subprocess.Popen(
            [binary, "--permissive", "--debug"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not _fanotify_fds(process.pid):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"fapolicyd did not start (exit code {process.poll()})")
            time.sleep(0.1)
        yield process
    finally:
        if process is not None:
            process.kill()
            process.wait(timeout=30)
        FAPOLICYD_CONF.write_bytes(saved_conf)
        if not rules_existed and FAPOLICYD_RULES.exists():
            FAPOLICYD_RULES.unlink()


# -- loopback only ---------------------------------------------------------------------------------
# This machine's rule: tests send traffic only to loopback (127.0.0.0/8, ::1) or to test hosts in
# network namespaces they made; never to another address, not even a name lookup of a Microsoft
# host through the machine's resolver. The connectivity check (connectivity.py) resolves and probes
# Microsoft's hosts unless mdeprereq:connectivity:urls says otherwise, so every Salt harness sets
# LOOPBACK_CONNECTIVITY in its minion config or pillar (a test that needs other URLs sets its own).
# Port 9 (discard) on 127.0.0.1: nothing listens there, the probe is refused at once.
CLOSED_LOOPBACK_URL = "https://127.0.0.1:9/"
LOOPBACK_CONNECTIVITY = {"urls": [CLOSED_LOOPBACK_URL], "timeout": 3}
# Names the resolver answers from /etc/hosts with a loopback address (nss "files"): no query leaves
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def loopback_settings(settings=None):
    """``settings`` (``mdeprereq:``) with the loopback connectivity URLs unless it has its own."""
    settings = dict(settings or {})
    connectivity = settings.setdefault("connectivity", dict(LOOPBACK_CONNECTIVITY))
    if isinstance(connectivity, dict):  # e.g. a timeout only: the URLs are still loopback ones
        settings["connectivity"] = {"urls": LOOPBACK_CONNECTIVITY["urls"], **connectivity}
    return settings


def _hosts_file_loopback_names(path="/etc/hosts"):
    names = set()
    try:
        lines = pathlib.Path(path).read_text().splitlines()
    except OSError:
        return names
    for line in lines:
        fields = line.split("#")[0].split()
        if len(fields) > 1 and _is_loopback_address(fields[0]):
            names.update(name.lower() for name in fields[1:])
    return names


def _is_loopback_address(text):
    import ipaddress

    try:
        address = ipaddress.ip_address(str(text).split("%")[0])
    except ValueError:
        return False
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    # the unspecified address (a server binding "", 0.0.0.0 or ::) is this machine too
    return address.is_loopback or address.is_unspecified


class NonLoopbackTraffic(OSError):
    """A test tried to reach (or look up) something other than loopback."""


def _is_loopback_host(host, names):
    if host is None or host in ("", b""):
        return True  # getaddrinfo(None, port): the local wildcard/loopback
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").rstrip(".").lower()
    return _is_loopback_address(host) or host in names or host.endswith(".localhost")


def assert_probes_loopback_only(result):
    """``result`` (mdeprereq.check's or the connectivity check's) probed loopback URLs only, and
    ``mdatp connectivity test``, if it ran, was the stand-in (tests/e2e/fake_mdatp.py)."""
    entry = result["checks"]["connectivity"] if "checks" in result else result
    urls = entry["facts"].get("urls")
    assert urls, f"the connectivity check probed nothing: {entry}"
    import urllib.parse

    for probe in urls:
        host = urllib.parse.urlsplit(probe["url"]).hostname
        assert _is_loopback_host(host, LOOPBACK_NAMES), f"probed a non-loopback URL: {probe}"
    if "mdatp_connectivity_test" in entry["facts"]:  # it ran /usr/bin/mdatp on this machine
        cli = pathlib.Path("/usr/bin/mdatp")
        assert b"TEST DOUBLE" in cli.read_bytes()[:4096], f"{cli} is not the stand-in"


@pytest.fixture(scope="session", autouse=True)
def loopback_only():
    """In this process (the tests, the functional loaders), a name lookup or a connection to
    anything but loopback raises NonLoopbackTraffic naming it, and fails the test that tried it.

    The Salt daemons and salt-call are other processes: each harness proves its check probed
    loopback only with :func:`assert_probes_loopback_only`. Exempt: the subprocesses that
    legitimately reach the registries (pip, apt and debootstrap in tests/newcomer and
    tests/rootfs.py reach PyPI and Debian's mirror); they are not Python in this process.
    """
    import socket

    names = LOOPBACK_NAMES | _hosts_file_loopback_names()
    violations = []

    def refuse(what, host):
        message = (
            f"{what} {host!r}: tests may reach only loopback (127.0.0.0/8, ::1); set "
            f"mdeprereq:connectivity:urls (tests/conftest.py LOOPBACK_CONNECTIVITY)"
        )
        violations.append(message)
        return NonLoopbackTraffic(message)

    originals = {
        name: getattr(socket, name)
        for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr")
    }
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def lookup(name):
        original = originals[name]

        def guarded(host, *args, **kwargs):
            if not _is_loopback_host(host, names):
                raise refuse(f"socket.{name} of", host)
            return original(host, *args, **kwargs)

        return guarded

    def check_address(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
            if not _is_loopback_host(address[0], names):
                raise refuse("a connection to", address[0])

    def guarded_connect(sock, address):
        check_address(sock, address)
        return connect(sock, address)

    def guarded_connect_ex(sock, address):
        check_address(sock, address)
        return connect_ex(sock, address)

    for name in originals:
        setattr(socket, name, lookup(name))
    socket.socket.connect, socket.socket.connect_ex = guarded_connect, guarded_connect_ex
    try:
        yield violations
    finally:
        for name, original in originals.items():
            setattr(socket, name, original)
        socket.socket.connect, socket.socket.connect_ex = connect, connect_ex


@pytest.fixture(autouse=True)
def _no_traffic_beyond_loopback(loopback_only):
    # the product may catch the error (a probe reports "dns"): the record fails the test anyway
    seen = len(loopback_only)
    yield
    if len(loopback_only) > seen:
        pytest.fail("; ".join(loopback_only[seen:]), pytrace=False)
