"""``mdeprereq.health`` through Salt's loader, against the mdatp TEST DOUBLE's CLI (not
Microsoft's: tests/e2e/fake_mdatp.py, which prints the real layouts of the cited public
samples) on PATH, with its paths under a private root: no machine change."""

import os

import pytest
from salt.exceptions import CommandExecutionError

from tests.e2e import fake_mdatp

ORG_ID = "4b8f3c2e-5d1a-4e6f-9a7b-0c1d2e3f4a5b"


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("health-double")
    deb = fake_mdatp.build_deb(fake_mdatp.recent_version(1), tmp / "out")
    return fake_mdatp.extract(deb, tmp / "files")


@pytest.fixture
def double(unpacked, tmp_path, monkeypatch):
    """The double's mdatp first on PATH, its root under tmp_path; yields the root."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "mdatp").symlink_to(unpacked / "usr/bin/mdatp")
    root = tmp_path / "root"
    for directory in ("run", "etc/opt/microsoft/mdatp"):
        (root / directory).mkdir(parents=True)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("MDATP_TEST_ROOT", str(root))
    return root


def daemon(unpacked):
    return fake_mdatp.daemon_running(unpacked / fake_mdatp.DAEMON.lstrip("/"))


def test_not_installed(modules, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    report = modules.mdeprereq.health()
    assert (report["installed"], report["daemon_running"], report["licensed"]) == (
        False,
        False,
        None,
    )
    with pytest.raises(CommandExecutionError, match="not installed"):
        modules.mdeprereq.health(field="licensed")


def test_no_daemon(modules, double):
    report = modules.mdeprereq.health()
    assert report["installed"] is True and report["daemon_running"] is False
    assert report["error"] == fake_mdatp.NO_DAEMON and report["licensed"] is None
    with pytest.raises(CommandExecutionError, match="Could not connect to the daemon"):
        modules.mdeprereq.health(field="licensed")


def test_report_and_fields(modules, double, unpacked):
    with daemon(unpacked):
        report = modules.mdeprereq.health()
        assert report["source"] == "json" and report["daemon_running"] is True
        assert (report["licensed"], report["org_id"], report["expired"]) == (False, None, False)
        assert report["health_issues"] == ["missing license"]
        assert modules.mdeprereq.health(field="licensed") is False
        assert modules.mdeprereq.health(field="org_id") is None  # unavailable

        (double / "etc/opt/microsoft/mdatp/mdatp_onboard.json").write_text(
            fake_mdatp.onboarding_blob(ORG_ID)
        )
        managed = double / "etc/opt/microsoft/mdatp/managed"
        managed.mkdir()
        (managed / "mdatp_managed.json").write_text(
            '{"antivirusEngine": {"enforcementLevel": "real_time"}}'
        )
        report = modules.mdeprereq.health()
        assert (report["licensed"], report["healthy"], report["org_id"]) == (True, True, ORG_ID)
        assert (report["passive_mode"], report["real_time_protection"]) == (False, True)
        assert report["managed"] == ["passive_mode_enabled", "real_time_protection_enabled"]
        assert report["definitions_status"] == "up_to_date"
        assert report["product_expiration"] > "2026"
        assert modules.mdeprereq.health(field="licensed") is True
        assert modules.mdeprereq.health(field="health_issues") == []
        with pytest.raises(CommandExecutionError, match="no_such_field"):
            modules.mdeprereq.health(field="no_such_field")


def test_restart_required_lists_only_the_documented_settings(modules):
    keys = ["cloudService.diagnosticLevel", "edr.tags", "antivirusEngine.enforcementLevel"]
    assert modules.mdeprereq.restart_required(keys) == ["cloudService.diagnosticLevel"]
    assert modules.mdeprereq.restart_required("cloudService.proxy") == []
