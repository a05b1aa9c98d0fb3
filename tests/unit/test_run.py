"""checks.run: selection, the summary, `ready`, and errors inside a check."""

import json

import pytest

from mdeprereq_engine import agent, checks, probe
from mdeprereq_engine.result import FAIL, PASS, SKIP, STATUSES, WARN, summarize, verdict
from mdeprereq_engine.settings import Settings
from tests.conftest import assert_probes_loopback_only, loopback_settings

ENTRY_KEYS = {"status", "message", "remediation", "fixable", "facts"}
GIB = 1024**3


class FakeStatvfs:
    f_frsize = 4096
    f_bavail = 20 * GIB // 4096


@pytest.fixture
def healthy(machine, monkeypatch):
    """A Debian 12 server on which every check passes (mdatp_user is not configured: skip;
    mdatp is not installed yet: the agent checks skip)."""
    machine.os_release("debian-12")
    machine.dpkg({"libc6": "2.36-9+deb12u7", "systemd": "252.30-1~deb12u2"})
    machine.write("/lib/systemd/systemd", "\x7fELF")
    machine.mkdir("/run/systemd/system")
    machine.mkdir("/opt")
    # device isolation's commands (the 2026-09-14 page's software requirement)
    machine.write("/usr/sbin/iptables", "\x7fELF")
    machine.write("/usr/sbin/ip6tables", "\x7fELF")
    machine.proc_write("sys/kernel/osrelease", "6.1.0-26-amd64\n")
    machine.write(
        "/boot/config-6.1.0-26-amd64",
        "CONFIG_BPF=y\nCONFIG_BPF_SYSCALL=y\nCONFIG_FANOTIFY=y\n"
        "CONFIG_FANOTIFY_ACCESS_PERMISSIONS=y\n",
    )
    machine.write("/sys/kernel/btf/vmlinux", "")
    machine.proc_write("meminfo", "MemTotal:        4028440 kB\nMemAvailable:    3012345 kB\n")
    machine.proc_write("cpuinfo", "processor\t: 0\n\nprocessor\t: 1\n")
    machine.proc_write("1/comm", "systemd\n")
    machine.mountinfo("28 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro")
    host = machine.host()
    monkeypatch.setattr(host, "euid", lambda: 0)
    monkeypatch.setattr(host, "statvfs", lambda path: FakeStatvfs())
    # No network in unit tests: every Defender URL answers with a verified handshake from one of
    # the expected issuers (the probes themselves are tested in test_probe.py)
    monkeypatch.setattr(probe, "probe_url", fake_verified_probe)
    machine.write(
        "/etc/opt/microsoft/mdatp/mdatp_onboard.json",
        json.dumps(
            {"onboardingInfo": json.dumps({"body": json.dumps({"vortexGeoLocation": "US"})})}
        ),
    )
    return host


def fake_verified_probe(url, proxy=None, timeout=None, context=None, **kwargs):
    host = url.split("/")[2]
    return {
        "url": url,
        "host": host,
        "port": 443,
        "result": "ok",
        "detail": "verified TLS handshake",
        "issuer": "Microsoft Corporation",
        "elapsed": 0.01,
    }


def assert_schema(result):
    assert set(result) == {"ready", "summary", "checks"}
    assert set(result["summary"]) == set(STATUSES)
    assert sum(result["summary"].values()) == len(result["checks"])
    for status in STATUSES:
        counted = [c for c in result["checks"].values() if c["status"] == status]
        assert result["summary"][status] == len(counted)
    for check_id, entry in result["checks"].items():
        assert set(entry) == ENTRY_KEYS, check_id
        assert entry["status"] in STATUSES
        assert isinstance(entry["message"], str)
        assert entry["message"]
        assert entry["remediation"] is None or isinstance(entry["remediation"], str)
        assert isinstance(entry["fixable"], bool)
        assert isinstance(entry["facts"], dict)
        if entry["status"] == FAIL:
            assert entry["remediation"], f"{check_id} fails without a remediation"
    assert result["ready"] is (result["summary"][FAIL] == 0)


def test_healthy_machine_is_ready(healthy, default_settings):
    result = checks.run(healthy, default_settings)
    assert_schema(result)
    assert list(result["checks"]) == list(checks.CHECKS)
    statuses = {check_id: entry["status"] for check_id, entry in result["checks"].items()}
    skipped = {"mdatp_user", *agent.AGENT_CHECKS}
    expected = {check_id: SKIP if check_id in skipped else PASS for check_id in checks.CHECKS}
    assert statuses == expected, statuses
    assert result["ready"] is True
    assert result["summary"] == {
        PASS: len(checks.CHECKS) - len(skipped),
        WARN: 0,
        FAIL: 0,
        SKIP: len(skipped),
    }


def test_one_failure_makes_it_not_ready(healthy, machine, default_settings):
    machine.proc_write("meminfo", "MemTotal:         524288 kB\n")
    result = checks.run(healthy, default_settings)
    assert_schema(result)
    assert result["ready"] is False
    assert result["summary"][FAIL] == 1
    assert result["checks"]["memory"]["status"] == FAIL


def test_warnings_keep_it_ready(healthy, machine, default_settings):
    machine.proc_write("meminfo", "MemTotal:        1003520 kB\n")
    result = checks.run(healthy, default_settings)
    assert_schema(result)
    assert result["checks"]["memory"]["status"] == WARN
    assert result["ready"] is True


def test_empty_machine_never_raises(machine):
    # nothing under root or proc: every check must still answer (connectivity: loopback only)
    result = checks.run(machine.host(), Settings.from_raw(loopback_settings()))
    assert_schema(result)
    assert_probes_loopback_only(result)
    assert list(result["checks"]) == list(checks.CHECKS)
    assert result["checks"]["distro"]["status"] == FAIL


@pytest.mark.parametrize(
    "statuses",
    [
        pytest.param([PASS, PASS], id="all-pass"),
        pytest.param([PASS, WARN, SKIP], id="warn-and-skip"),
        pytest.param([PASS, FAIL], id="one-fail"),
        pytest.param([FAIL, FAIL, WARN], id="two-fail"),
        pytest.param([SKIP], id="only-skip"),
    ],
)
def test_ready_exactly_when_nothing_fails(machine, default_settings, monkeypatch, statuses):
    def fake_check(status):
        return lambda host, settings: verdict(
            status, f"fake check says {status}", remediation="fix it" if status == FAIL else None
        )

    fakes = {f"fake{number}": fake_check(status) for number, status in enumerate(statuses)}
    monkeypatch.setattr(checks, "CHECKS", fakes)
    result = checks.run(machine.host(), default_settings)
    assert_schema(result)
    assert result["ready"] is (FAIL not in statuses)
    assert result["summary"] == {status: statuses.count(status) for status in STATUSES}


@pytest.mark.parametrize(
    ("only", "expected"),
    [
        pytest.param(["kernel", "cpu"], ["kernel", "cpu"], id="list"),
        pytest.param("cpu,kernel", ["cpu", "kernel"], id="comma-string"),
        pytest.param(" memory , disk ,", ["memory", "disk"], id="spaces-and-trailing-comma"),
        pytest.param(["cpu", "cpu", "kernel"], ["cpu", "kernel"], id="duplicates"),
        pytest.param("distro", ["distro"], id="single"),
        pytest.param(("systemd",), ["systemd"], id="tuple"),
    ],
)
def test_subset_selection(healthy, default_settings, only, expected):
    assert checks.select(only) == expected
    result = checks.run(healthy, default_settings, only=only)
    assert list(result["checks"]) == expected
    assert_schema(result)


@pytest.mark.parametrize(
    "only", [pytest.param(None, id="none"), pytest.param("", id="empty"), pytest.param([], id="[]")]
)
def test_no_selection_runs_everything(only):
    assert checks.select(only) == list(checks.CHECKS)


@pytest.mark.parametrize(
    ("only", "unknown"),
    [
        pytest.param(["kernel", "network"], "network", id="list"),
        pytest.param("cpu,memroy", "memroy", id="comma-string"),
        pytest.param("Kernel", "Kernel", id="case-sensitive"),
    ],
)
def test_unknown_check_raises(healthy, default_settings, only, unknown):
    with pytest.raises(checks.UnknownCheckError) as caught:
        checks.run(healthy, default_settings, only=only)
    message = str(caught.value)
    assert f"unknown check(s): {unknown};" in message
    assert "known: distro, kernel, cpu" in message
    assert issubclass(checks.UnknownCheckError, ValueError)


def test_check_that_raises_becomes_skip(healthy, default_settings, monkeypatch):
    def broken(host, settings):
        raise RuntimeError("boom")

    monkeypatch.setitem(checks.CHECKS, "kernel", broken)
    result = checks.run(healthy, default_settings)
    assert_schema(result)
    entry = result["checks"]["kernel"]
    assert entry["status"] == SKIP
    assert entry["message"] == "the kernel check could not run: RuntimeError: boom"
    assert entry["fixable"] is False
    # the others still ran
    assert result["checks"]["cpu"]["status"] == PASS
    assert result["ready"] is True


def test_check_raising_oserror_on_unreadable_file(healthy, default_settings, monkeypatch):
    def unreadable(*parts):
        raise IsADirectoryError(21, "Is a directory")

    monkeypatch.setattr(healthy, "proc_text", unreadable)
    result = checks.run(healthy, default_settings, only="kernel,memory,cpu,systemd")
    assert_schema(result)
    for check_id in ("kernel", "memory", "systemd"):
        assert result["checks"][check_id]["status"] == SKIP
        assert "IsADirectoryError" in result["checks"][check_id]["message"]


# -- result ----------------------------------------------------------------------------------
def test_verdict_rejects_unknown_status():
    with pytest.raises(ValueError, match="unknown status 'ok'"):
        verdict("ok", "fine")


def test_verdict_defaults():
    assert verdict(WARN, "hm", fixable=1) == {
        "status": WARN,
        "message": "hm",
        "remediation": None,
        "fixable": True,
        "facts": {},
    }


def test_summarize_empty():
    assert summarize({}) == {
        "ready": True,
        "summary": {PASS: 0, WARN: 0, FAIL: 0, SKIP: 0},
        "checks": {},
    }
