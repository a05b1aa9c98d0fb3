"""The agent checks (agent_service, agent_health, agent_version, agent_definitions,
agent_protection) on the recorded public ``mdatp health`` outputs of tests/unit/mdatp_health/
(README.md there cites each), and the kernel checks (fanotify_kernel, ebpf) on kernel config
fixtures: every state of each check."""

import datetime
import gzip
import json
import pathlib

import pytest

from mdeprereq_engine import agent, checks
from mdeprereq_engine import health as mdatp_health
from mdeprereq_engine.host import Host
from mdeprereq_engine.settings import Settings

SAMPLES = pathlib.Path(__file__).parent / "mdatp_health"
DAEMON = "/opt/microsoft/mdatp/sbin/wdavdaemon"
JSON_CALL = ["mdatp", "health", "--output", "json"]
PLAIN_CALL = ["mdatp", "health"]
# What an older CLI without --output json answers is not in any public sample: any failure that
# is not "could not connect to the daemon" makes the checks ask for the plain report instead
OLD_CLI = (2, "", "mdatp: unrecognized option '--output'\n")


def sample(name):
    return (SAMPLES / name).read_text()


def json_sample(**changes):
    """The glpi-agent JSON sample (101.23062.0010, InsiderFast, passive, ebpf), with ``changes``
    laid over its keys (each test says why it changes one)."""
    data = json.loads(sample("json-glpi-101.23062.0010.json"))
    data.update(changes)
    return json.dumps(data)


class Cli:
    """Answers ``host.run_command`` with recorded outputs and counts the calls."""

    def __init__(self, json_output=None, plain_output=None, no_daemon=False, units=None):
        self.json_output, self.plain_output = json_output, plain_output
        self.no_daemon, self.units = no_daemon, units
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        if argv[0] == "systemctl":
            if self.units is None:
                return None
            return 0, "".join(f"{key}={value}\n" for key, value in self.units.items()), ""
        if self.no_daemon:
            return 1, "", "Could not connect to the daemon -- MDE is not ready to connect yet.\n"
        if argv == JSON_CALL:
            return (0, self.json_output, "") if self.json_output is not None else OLD_CLI
        if argv == PLAIN_CALL and self.plain_output is not None:
            return 0, self.plain_output, ""
        return 2, "", "usage\n"

    @property
    def mdatp_calls(self):
        return [call for call in self.calls if call[0] == "mdatp"]


@pytest.fixture
def today(monkeypatch):
    """Set the checks' clock: ``today(2024, 1, 1)``."""

    def set_today(*ymd):
        monkeypatch.setattr(agent, "today", lambda: datetime.date(*ymd))

    set_today(2024, 1, 1)
    return set_today


@pytest.fixture
def installed(machine, today):
    """Ubuntu 22.04 with mdatp's package installed, its daemon running (no systemd)."""
    machine.os_release("ubuntu-22.04")
    machine.dpkg({"mdatp": "101.23062.0010"})
    machine.process(4242, "wdavdaemon", [DAEMON], exe=DAEMON)
    machine.proc_write("1/comm", "init\n")
    return machine


def run(machine, cli, settings=None, only=agent.CHECKS):
    host = machine.host(runner=cli)
    return checks.run(host, settings or Settings.from_raw({}), list(only))["checks"]


def plain_cli(name):
    return Cli(plain_output=sample(name))


# -- not installed: the agent checks skip, the kernel checks still run ---------------------------
def test_not_installed_skips_without_asking(machine, today):
    machine.os_release("ubuntu-22.04")
    machine.dpkg({"libc6": "2.35-0ubuntu3.8"})
    cli = Cli(json_output=json_sample())
    result = run(machine, cli, only=agent.AGENT_CHECKS)
    for check_id in agent.AGENT_CHECKS:
        assert result[check_id]["status"] == "skip", check_id
        assert "mdatp is not installed" in result[check_id]["message"]
    assert cli.calls == []


# -- one CLI call per run ------------------------------------------------------------------------
def test_every_agent_check_shares_one_json_call(installed):
    cli = Cli(json_output=json_sample())
    run(installed, cli)
    assert cli.mdatp_calls == [JSON_CALL]


def test_older_cli_falls_back_to_the_plain_report(installed):
    cli = plain_cli("plain-ubuntu20.04-101.23062.0010.txt")
    result = run(installed, cli)
    assert cli.mdatp_calls == [JSON_CALL, PLAIN_CALL]
    assert result["agent_health"]["status"] == "pass"


def test_no_daemon_skips_the_report_checks(installed):
    cli = Cli(no_daemon=True)
    result = run(installed, cli)
    for check_id in ("agent_health", "agent_definitions", "agent_protection"):
        assert result[check_id]["status"] == "skip", check_id
        assert "Could not connect to the daemon" in result[check_id]["message"]
    # the version and its expiry still come from the package database
    assert result["agent_version"]["facts"]["app_version"] == "101.23062.0010"
    assert result["agent_version"]["facts"]["expiration_estimated"] is True
    assert cli.mdatp_calls == [JSON_CALL]


# -- agent_service -------------------------------------------------------------------------------
def test_service_without_systemd_daemon_running(installed):
    entry = run(installed, Cli(json_output=json_sample()), only=["agent_service"])["agent_service"]
    assert entry["status"] == "pass"
    assert "systemd is not PID 1" in entry["message"]


def test_service_with_systemd_waived_is_not_expected_to_run(machine, today):
    # an image build (a chroot, a golden image): the systemd check waived, nothing starts mdatp
    # until the first boot, so a stopped daemon is no failure there (mde.onboard says the same)
    machine.os_release("ubuntu-22.04")
    machine.dpkg({"mdatp": "101.23062.0010"})
    machine.process(1, "init", ["/sbin/init"], exe="/sbin/init")
    settings = Settings.from_raw({"ignore": {"systemd": "golden image"}})
    entry = run(machine, Cli(no_daemon=True), settings, only=["agent_service"])["agent_service"]
    assert entry["status"] == "skip"
    assert "golden image" in entry["message"] and "first boots" in entry["message"]


def test_service_without_systemd_daemon_stopped_is_fixable(machine, today):
    machine.os_release("ubuntu-22.04")
    machine.dpkg({"mdatp": "101.23062.0010"})
    machine.process(1, "init", ["/sbin/init"], exe="/sbin/init")
    entry = run(machine, Cli(no_daemon=True), only=["agent_service"])["agent_service"]
    assert entry["status"] == "fail" and entry["fixable"] is True
    assert "mdeprereq.agent_running" in entry["remediation"]


@pytest.fixture
def systemd_host(installed):
    installed.proc_write("1/comm", "systemd\n")
    installed.mkdir("/run/systemd/system")
    return installed


UNIT_ACTIVE = {
    "LoadState": "loaded",
    "ActiveState": "active",
    "SubState": "running",
    "UnitFileState": "enabled",
}


@pytest.mark.parametrize(
    ("changes", "status", "words"),
    [
        ({}, "pass", "enabled and active"),
        ({"ActiveState": "inactive", "SubState": "dead"}, "fail", "inactive (dead)"),
        ({"ActiveState": "failed", "SubState": "failed"}, "fail", "failed (failed)"),
        ({"UnitFileState": "disabled"}, "fail", "disabled: it will not start at boot"),
        ({"LoadState": "not-found"}, "fail", "the package's unit is missing"),
    ],
)
def test_service_with_systemd(systemd_host, changes, status, words):
    cli = Cli(json_output=json_sample(), units={**UNIT_ACTIVE, **changes})
    entry = run(systemd_host, cli, only=["agent_service"])["agent_service"]
    assert entry["status"] == status
    assert words in entry["message"]
    assert entry["fixable"] is (status == "fail" and "LoadState" not in changes)
    assert cli.calls[-1][:3] == ["systemctl", "show", "mdatp.service"]


def test_service_systemctl_without_answer_skips(systemd_host):
    entry = run(systemd_host, Cli(units=None), only=["agent_service"])["agent_service"]
    assert entry["status"] == "skip"


# -- agent_health --------------------------------------------------------------------------------
def test_health_licensed_and_healthy(installed):
    entry = run(installed, Cli(json_output=json_sample()))["agent_health"]
    assert entry["status"] == "pass"
    assert entry["facts"]["licensed"] is True and entry["facts"]["health_issues"] == []


@pytest.mark.parametrize(
    "name",
    ["plain-unlicensed-101.02.55-excerpt.txt", "plain-unlicensed-ubuntu-101.85.27-excerpt.txt"],
)
def test_health_unlicensed_says_onboard(installed, name):
    entry = run(installed, plain_cli(name))["agent_health"]
    assert entry["status"] == "fail"
    assert "not licensed" in entry["message"]
    if "101.85.27" in name:  # the older build prints no health_issues
        assert "health issues: missing license" in entry["message"]
    assert "mde.onboard" in entry["remediation"]


def test_health_unlicensed_because_expired(installed, today):
    today(2026, 12, 1)
    # Microsoft's excerpt of an expired build, with the product lines in the Ubuntu sample's
    # layout (the excerpt shows only the first three)
    text = sample("plain-expired-linux-updates.txt")
    text += 'app_version                                 : "101.23062.0010"\n'
    text += "product_expiration                          : Apr 10, 2024 at 01:34:28 PM\n"
    entry = run(installed, Cli(plain_output=text))["agent_health"]
    assert entry["status"] == "fail"
    assert "unlicensed because its build expired" in entry["message"]
    assert "2024-04-10" in entry["message"]
    assert "Upgrade" in entry["remediation"]


def test_health_unhealthy_lists_issues(installed):
    # a licensed device with a health issue (the sample's own fields otherwise)
    cli = Cli(json_output=json_sample(healthy=False, healthIssues=["no active event provider"]))
    entry = run(installed, cli)["agent_health"]
    assert entry["status"] == "fail"
    assert "no active event provider" in entry["message"]


def test_health_older_build_without_health_issues(installed):
    entry = run(installed, plain_cli("plain-centos8-101.02.55-excerpt.txt"))["agent_health"]
    assert entry["status"] == "pass"


# -- agent_version -------------------------------------------------------------------------------
def test_version_valid(installed):
    entry = run(
        installed, Cli(json_output=json_sample()), Settings.from_raw({"channel": "insiders-fast"})
    )
    entry = entry["agent_version"]
    assert entry["status"] == "pass"
    assert entry["facts"]["product_expiration"] == "2024-04-10"
    assert entry["facts"]["expiration_estimated"] is False
    assert entry["facts"]["installed_channel"] == "insiders-fast"


def test_version_expiring_within_30_days(installed, today):
    today(2024, 3, 25)
    cli = plain_cli("plain-ubuntu20.04-101.23062.0010.txt")
    entry = run(installed, cli)["agent_version"]
    assert entry["status"] == "warn"
    assert "expires 2024-04-10, in 16 day(s)" in entry["message"]
    assert "newest build of the prod channel" in entry["remediation"]


def test_version_expired(installed, today):
    today(2024, 5, 1)
    entry = run(installed, plain_cli("plain-ubuntu20.04-101.23062.0010.txt"))["agent_version"]
    assert entry["status"] == "fail"
    assert "expired 2024-04-10" in entry["message"]


def test_version_channel_mismatch_warns(installed):
    # the JSON sample is an InsiderFast build; mdeprereq:channel is prod by default
    entry = run(installed, Cli(json_output=json_sample()))["agent_version"]
    assert entry["status"] == "warn"
    assert "channel insiders-fast (release ring InsiderFast)" in entry["message"]
    assert "mdeprereq:channel_switch: true" in entry["remediation"]


def test_version_unknown_expiry_skips(installed):
    # 101.02.55 is numbered before the YYMM scheme, and unlicensed prints unavailable
    installed.dpkg({"mdatp": "101.02.55"})
    entry = run(installed, plain_cli("plain-unlicensed-101.02.55-excerpt.txt"))["agent_version"]
    assert entry["status"] == "skip"


@pytest.mark.parametrize(
    ("version", "ring"),
    [
        ("101.25042.0003", "Production"),
        ("101.25042.0003-insiderfast", "InsiderFast"),
        ("101.25042.0003-external", "External"),
        ("101.25042.0003_insiderfast-1", "InsiderFast"),
        (None, None),
    ],
)
def test_ring_of_package_version(version, ring):
    assert agent.ring_of_package_version(version) == ring


# -- agent_definitions ---------------------------------------------------------------------------
def test_definitions_up_to_date(installed):
    entry = run(installed, plain_cli("plain-ubuntu20.04-101.23062.0010.txt"))["agent_definitions"]
    assert entry["status"] == "pass"
    assert entry["facts"]["age_hours"] == 2.6  # 159 minutes
    assert entry["facts"]["max_age_hours"] == 48


def test_definitions_older_than_the_limit(installed):
    settings = Settings.from_raw({"definitions_max_age_hours": 2})
    cli = plain_cli("plain-ubuntu20.04-101.23062.0010.txt")
    entry = run(installed, cli, settings)["agent_definitions"]
    assert entry["status"] == "fail"
    assert "2.6 hours old, over mdeprereq:definitions_max_age_hours (2)" in entry["message"]


def test_definitions_status_not_up_to_date(installed):
    # no public sample shows another status: any value but upToDate warns
    cli = Cli(json_output=json_sample(definitionsStatus={"$type": "updating"}))
    entry = run(installed, cli)["agent_definitions"]
    assert entry["status"] == "warn"
    assert "definitions status is updating" in entry["message"]


def test_definitions_without_fields_skips(installed):
    entry = run(installed, plain_cli("plain-centos8-101.02.55-excerpt.txt"))["agent_definitions"]
    assert entry["status"] == "skip"


# -- agent_protection ----------------------------------------------------------------------------
def _managed(level):
    return Settings.from_raw({"managed": {"antivirusEngine": {"enforcementLevel": level}}})


def test_protection_as_asked(installed):
    cli = plain_cli("plain-ubuntu20.04-101.23062.0010.txt")
    entry = run(installed, cli, _managed("real_time"))["agent_protection"]
    assert entry["status"] == "pass"
    assert entry["facts"]["mode"] == "real_time"


def test_protection_nothing_asked(installed):
    entry = run(installed, Cli(json_output=json_sample()))["agent_protection"]
    assert entry["status"] == "pass" and entry["facts"]["mode"] == "passive"


def test_protection_differs_from_the_asked_mode(installed):
    entry = run(installed, Cli(json_output=json_sample()), _managed("real_time"))
    entry = entry["agent_protection"]
    assert entry["status"] == "warn"
    assert (
        "real-time protection is passive, mdeprereq:managed asks for real_time"
        in (entry["message"])
    )


def test_protection_on_demand(installed):
    cli = Cli(json_output=json_sample(passiveModeEnabled={"value": False}))
    entry = run(installed, cli, _managed("on_demand"))["agent_protection"]
    assert entry["status"] == "pass" and entry["facts"]["mode"] == "on_demand"


def test_protection_conflicting_application_in_real_time_fails(installed):
    text = sample("plain-ubuntu20.04-101.23062.0010.txt").replace(
        "conflicting_applications                    : []",
        'conflicting_applications                    : ["fapolicyd"]',
    )
    entry = run(installed, Cli(plain_output=text))["agent_protection"]
    assert entry["status"] == "fail"
    assert "fapolicyd" in entry["message"]


def test_protection_conflicting_application_in_passive_warns(installed):
    cli = Cli(json_output=json_sample(conflictingApplications=["fapolicyd"]))
    entry = run(installed, cli)["agent_protection"]
    assert entry["status"] == "warn"


# -- fanotify_kernel -----------------------------------------------------------------------------
RELEASE = "6.1.0-26-amd64"
CONFIG_OK = """\
#
# Automatically generated file; DO NOT EDIT.
# Linux/x86 6.1.0 Kernel Configuration
#
CONFIG_BPF=y
CONFIG_HAVE_EBPF_JIT=y
CONFIG_BPF_SYSCALL=y
CONFIG_DEBUG_INFO_BTF=y
CONFIG_FSNOTIFY=y
CONFIG_FANOTIFY=y
CONFIG_FANOTIFY_ACCESS_PERMISSIONS=y
"""


@pytest.fixture
def debian(machine, today):
    machine.os_release("debian-12")
    machine.dpkg({"libc6": "2.36-9"})
    machine.proc_write("sys/kernel/osrelease", RELEASE + "\n")
    machine.write("/sys/kernel/btf/vmlinux", "")
    return machine


def test_fanotify_kernel_from_boot_config(debian):
    debian.write(f"/boot/config-{RELEASE}", CONFIG_OK)
    entry = run(debian, Cli(), only=["fanotify_kernel"])["fanotify_kernel"]
    assert entry["status"] == "pass"
    assert entry["facts"]["source"] == f"/boot/config-{RELEASE}"


def test_fanotify_kernel_missing_option(debian):
    debian.write(
        f"/boot/config-{RELEASE}",
        CONFIG_OK.replace(
            "CONFIG_FANOTIFY_ACCESS_PERMISSIONS=y",
            "# CONFIG_FANOTIFY_ACCESS_PERMISSIONS is not set",
        ),
    )
    entry = run(debian, Cli(), only=["fanotify_kernel"])["fanotify_kernel"]
    assert entry["status"] == "fail"
    assert entry["facts"]["missing"] == ["CONFIG_FANOTIFY_ACCESS_PERMISSIONS"]
    assert entry["remediation"]


def test_fanotify_kernel_from_gzipped_proc_config(debian):
    (debian.proc / "config.gz").write_bytes(gzip.compress(CONFIG_OK.encode()))
    entry = run(debian, Cli(), only=["fanotify_kernel"])["fanotify_kernel"]
    assert entry["status"] == "pass"
    assert entry["facts"]["source"] == "/proc/config.gz"


def test_fanotify_kernel_unknown_without_config(debian):
    entry = run(debian, Cli(), only=["fanotify_kernel"])["fanotify_kernel"]
    assert entry["status"] == "skip"
    assert f"/boot/config-{RELEASE}" in entry["message"] and "/proc/config.gz" in entry["message"]


def test_fanotify_kernel_corrupt_gzip_is_unknown(debian):
    (debian.proc / "config.gz").write_bytes(b"not gzip")
    entry = run(debian, Cli(), only=["fanotify_kernel"])["fanotify_kernel"]
    assert entry["status"] == "skip"


# -- ebpf ----------------------------------------------------------------------------------------
def test_ebpf_ready(debian):
    debian.write(f"/boot/config-{RELEASE}", CONFIG_OK)
    entry = run(debian, Cli(), only=["ebpf"])["ebpf"]
    assert entry["status"] == "pass"
    assert entry["facts"]["floor"] == "4.19.0"


def test_ebpf_without_btf_and_options(debian):
    (debian.root / "sys/kernel/btf/vmlinux").unlink()
    debian.write(f"/boot/config-{RELEASE}", "# CONFIG_BPF_SYSCALL is not set\nCONFIG_BPF=y\n")
    entry = run(debian, Cli(), only=["ebpf"])["ebpf"]
    assert entry["status"] == "warn"
    assert "CONFIG_BPF_SYSCALL" in entry["message"] and "BTF" in entry["message"]


@pytest.mark.parametrize(
    ("os_release", "release", "status", "floor"),
    [
        ("ubuntu-22.04", "4.4.0-210-generic", "warn", "4.15.0"),
        ("ubuntu-22.04", "5.15.0-105-generic", "pass", "4.15.0"),
        ("rhel-9.4", "3.10.0-862.el7.x86_64", "warn", "3.10.0-957.10"),
        ("rhel-9.4", "3.10.0-1160.el7.x86_64", "pass", "3.10.0-957.10"),
        ("arch", "4.14.0-arch1", "warn", "4.15"),
        ("arch", "3.10.0-957.10.1.el7.x86_64", "pass", "3.10.0-957.10"),
    ],
)
def test_ebpf_floors(machine, today, os_release, release, status, floor):  # noqa: PLR0917
    machine.os_release(os_release)
    machine.proc_write("sys/kernel/osrelease", release + "\n")
    machine.write("/sys/kernel/btf/vmlinux", "")
    machine.write(f"/boot/config-{release}", CONFIG_OK)
    entry = run(machine, Cli(), only=["ebpf"])["ebpf"]
    assert entry["status"] == status, entry["message"]
    assert entry["facts"]["floor"] == floor


def test_ebpf_known_bad_kernel(machine, today):
    machine.os_release('ID="ol"\nVERSION_ID="8.8"\n')
    release = "5.15.0-0.30.20.el8uek.x86_64"
    machine.proc_write("sys/kernel/osrelease", release + "\n")
    machine.write("/sys/kernel/btf/vmlinux", "")
    machine.write(f"/boot/config-{release}", CONFIG_OK)
    entry = run(machine, Cli(), only=["ebpf"])["ebpf"]
    assert entry["status"] == "warn"
    assert entry["facts"]["floor"] == "5.4"
    assert "hangs" in entry["message"]


def test_ebpf_lockdown_confidentiality(debian):
    debian.write(f"/boot/config-{RELEASE}", CONFIG_OK)
    debian.write("/sys/kernel/security/lockdown", "none integrity [confidentiality]\n")
    entry = run(debian, Cli(), only=["ebpf"])["ebpf"]
    assert entry["status"] == "warn" and entry["facts"]["lockdown"] == "confidentiality"


def test_ebpf_reads_the_agents_subsystem(installed):
    # the Ubuntu 20.04 sample's build still used auditd
    installed.proc_write("sys/kernel/osrelease", "5.15.0-105-generic\n")
    installed.write("/sys/kernel/btf/vmlinux", "")
    installed.write("/boot/config-5.15.0-105-generic", CONFIG_OK)
    cli = plain_cli("plain-ubuntu20.04-101.23062.0010.txt")
    result = run(installed, cli)
    assert result["ebpf"]["status"] == "warn"
    assert "'auditd'" in result["ebpf"]["message"]
    assert cli.mdatp_calls == [JSON_CALL, PLAIN_CALL]  # shared with the agent checks


# -- settings ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"definitions_max_age_hours": "48"}, "definitions_max_age_hours"),
        ({"definitions_max_age_hours": 0}, "definitions_max_age_hours"),
        ({"definitions_max_age_hours": True}, "definitions_max_age_hours"),
        ({"channel_switch": "yes"}, "channel_switch"),
        ({"managed": {"antivirusEngine": {"enforcementLevel": "off"}}}, "enforcementLevel"),
        ({"managed": ["x"]}, "mdeprereq:managed"),
    ],
)
def test_bad_settings_name_the_key(raw, key):
    from mdeprereq_engine.settings import SettingsError

    with pytest.raises(SettingsError, match=key):
        Settings.from_raw(raw)


def test_settings_defaults():
    settings = Settings.from_raw({})
    assert settings.definitions_max_age_hours == 48
    assert settings.channel_switch is False
    assert settings.enforcement_level is None


# -- Host.run_command: what the agent checks run the CLI through ----------------------------------
def test_run_command_on_this_machine(tmp_path):
    host = Host()
    assert host.run_command(["sh", "-c", "echo $LC_ALL; echo err >&2; exit 3"]) == (
        3,
        "C\n",
        "err\n",
    )
    assert host.run_command([str(tmp_path / "no-such-command")]) is None
    timed_out = host.run_command(["sleep", "5"], timeout=0.2)
    assert timed_out[0] == 124 and "did not answer within 0.2 s" in timed_out[2]


def test_run_command_never_runs_for_a_fixture_tree_or_a_grain(machine):
    assert machine.host().run_command(["true"]) is None
    assert Host(allow_subprocess=False).run_command(["true"]) is None
    assert machine.host(runner=lambda argv: (0, " ".join(argv), "")).run_command(["a", "b"]) == (
        0,
        "a b",
        "",
    )


def test_cli_output_too_big_is_no_report(installed):
    entry = run(installed, Cli(json_output="{" + " " * mdatp_health.MAX_OUTPUT + "}"))[
        "agent_health"
    ]
    assert entry["status"] == "skip" and "printed" in entry["message"]


def test_unreadable_cli_output_is_no_report(installed):
    entry = run(installed, Cli(json_output='{"healthy": "maybe"}'))["agent_health"]
    assert entry["status"] == "skip"
    assert "healthy" in entry["message"]
