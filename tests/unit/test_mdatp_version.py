"""A pinned mdatp version that is an expired build fails before install; within 30 days it warns.
Every build expires 9 months after its release (Microsoft's linux-updates.md); the build month
is in the number (101.25042.0003 = April 2025)."""

import datetime

import pytest

from mdeprereq_engine import checks
from mdeprereq_engine.result import FAIL, PASS, SKIP, WARN
from mdeprereq_engine.settings import Settings
from mdeprereq_engine.versions import build_month, estimated_expiry


@pytest.mark.parametrize(
    ("version", "month", "expiry"),
    [
        ("101.25042.0003", (2025, 4), datetime.date(2026, 2, 1)),
        ("101.25042.0003-insiderfast", (2025, 4), datetime.date(2026, 2, 1)),
        ("101.25042.0003_external-1", (2025, 4), datetime.date(2026, 2, 1)),
        # the build with public samples of its expiry: 2024-04-10 (tests/unit/mdatp_health)
        ("101.23062.0010", (2023, 6), datetime.date(2024, 4, 1)),
        ("101.24122.0004", (2024, 12), datetime.date(2025, 10, 1)),
        ("101.25032.0008", (2025, 3), datetime.date(2026, 1, 1)),
        ("101.02.55", None, None),  # the old numbering has no month
        ("101.25992.0001", None, None),
    ],
)
def test_build_month_and_estimated_expiry(version, month, expiry):
    assert build_month(version) == month
    assert estimated_expiry(version) == expiry


def test_the_estimate_is_never_after_the_real_expiry():
    real = datetime.date(2024, 4, 10)  # 101.23062.0010, both public samples
    assert estimated_expiry("101.23062.0010") <= real
    assert (real - estimated_expiry("101.23062.0010")).days < 31


def run(machine, monkeypatch, version, today):
    monkeypatch.setattr(checks, "today", lambda: today)
    settings = Settings.from_raw({"mdatp_version": version})
    return checks.check_mdatp_version(machine.host(), settings)


def test_no_pin_passes(machine, monkeypatch):
    entry = run(machine, monkeypatch, None, datetime.date(2026, 12, 1))
    assert entry["status"] == PASS and "newest" in entry["message"]


def test_expired_pin_fails_naming_the_date(machine, monkeypatch):
    entry = run(machine, monkeypatch, "101.25042.0003", datetime.date(2026, 12, 1))
    assert entry["status"] == FAIL
    assert entry["message"].startswith(
        "mdatp 101.25042.0003 (built 2025-04) expired around 2026-02-01"
    )
    assert "missing license" in entry["message"]
    assert "mdeprereq:mdatp_version" in entry["remediation"]
    assert entry["facts"] == {
        "mdatp_version": "101.25042.0003",
        "estimated_expiry": "2026-02-01",
        "build_month": "2025-04",
    }
    assert run(machine, monkeypatch, "101.25042.0003", datetime.date(2026, 2, 1))["status"] == (
        FAIL
    )


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (datetime.date(2025, 12, 31), PASS),
        (datetime.date(2026, 1, 2), WARN),  # 30 days left
        (datetime.date(2026, 1, 31), WARN),  # 1 day left
        (datetime.date(2026, 2, 1), FAIL),
    ],
)
def test_warns_within_30_days(machine, monkeypatch, today, status):
    entry = run(machine, monkeypatch, "101.25042.0003", today)
    assert entry["status"] == status, entry["message"]
    if status == WARN:
        assert "expires around 2026-02-01, in" in entry["message"]


def test_a_number_without_a_month_is_skipped(machine, monkeypatch):
    entry = run(machine, monkeypatch, "101.02.55", datetime.date(2026, 12, 1))
    assert entry["status"] == SKIP


def test_satisfied_refuses_through_the_check_run(machine, monkeypatch):
    """The check is part of every run (mdeprereq.check, and so mdeprereq.satisfied)."""
    monkeypatch.setattr(checks, "today", lambda: datetime.date(2026, 12, 1))
    assert "mdatp_version" in checks.CHECKS
    result = checks.run(
        machine.host(), Settings.from_raw({"mdatp_version": "101.25042.0003"}), ["mdatp_version"]
    )
    assert result["checks"]["mdatp_version"]["status"] == FAIL and result["ready"] is False
