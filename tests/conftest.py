"""Fixtures shared by every test directory."""

import os
import pathlib

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
    "mdatp_user",
    "install_path",
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
