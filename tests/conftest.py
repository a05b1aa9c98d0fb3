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
