"""Tests of the TEST DOUBLES themselves: the fake mdatp package (not Microsoft's product), the
Microsoft-shaped apt repository that serves it, and the cleanup that puts the machine back.

The tests that change the machine (apt sources, keyrings, packages, users) are destructive and
need root: ``tools/test --run-destructive`` (CI) runs them; each leaves the machine as it was.
"""

import contextlib
import gzip
import hashlib
import json
import os
import pathlib
import pwd
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from mdeprereq_engine import fanotify as fanotify_scan
from tests.conftest import free_account_id
from tests.e2e import apt_repo, cleanup, fake_mdatp

VERSION = "101.25042.0003"
ONBOARD = pathlib.Path(fake_mdatp.ONBOARD_JSON)
OFFBOARD = pathlib.Path(fake_mdatp.OFFBOARD_JSON)
MANAGED = pathlib.Path(fake_mdatp.MANAGED_JSON)
SOURCE = pathlib.Path("/etc/apt/sources.list.d/microsoft-prod.list")
KEYRING = pathlib.Path(apt_repo.KEYRING)
DAEMON = fake_mdatp.DAEMON
ORG_ID = "4b8f3c2e-5d1a-4e6f-9a7b-0c1d2e3f4a5b"
# Fields `mdatp health --output json` must have (cloud_proxy is the double's own, extra)
JSON_FIELDS = set(fake_mdatp.HEALTH_FIELDS) - {"cloud_proxy"}
APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
# The repository is on the loopback: never through a proxy the environment or apt may name
URLOPEN = urllib.request.build_opener(urllib.request.ProxyHandler({})).open
APT_DIRECT = ("-o", f"Acquire::http::Proxy::{apt_repo.LOOPBACK}=DIRECT")
TRUST_PROBLEMS = re.compile(
    r"NO_PUBKEY|not signed|unsigned|insecure|cannot be authenticated|untrusted|"
    r"EXPKEYSIG|BADSIG|KEYEXPIRED|weak|^(W|E|Err):",
    re.IGNORECASE | re.MULTILINE,
)


def run(*command, check=True, env=None, timeout=120, **kwargs):
    result = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
        **kwargs,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, command))} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


# --- the package -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The prod package of VERSION and its unpacked files."""
    tmp = tmp_path_factory.mktemp("fake-mdatp")
    deb = fake_mdatp.build_deb(VERSION, tmp / "out")
    return deb, fake_mdatp.extract(deb, tmp / "files")


def test_control_fields(built):
    deb, _ = built
    fields = ("Package", "Version", "Architecture", "Depends", "Maintainer", "Description")
    values = {field: run("dpkg-deb", "--field", deb, field).stdout.strip() for field in fields}
    assert values["Package"] == "mdatp"
    assert values["Version"] == VERSION
    assert values["Architecture"] == fake_mdatp.host_architecture()
    assert values["Depends"] == "libc6 (>= 2.23)"
    assert "Microsoft" not in values["Maintainer"]
    summary = values["Description"].splitlines()[0]
    assert "TEST DOUBLE" in summary and "NOT Microsoft's product" in summary
    assert deb.name == f"mdatp_{VERSION}_{values['Architecture']}.deb"


def test_architecture_all_and_other_depends(tmp_path):
    deb = fake_mdatp.build_deb(
        "101.25032.0008-insiderfast", tmp_path, architecture="all", depends="libc6, uuid-runtime"
    )
    assert deb.name == "mdatp_101.25032.0008-insiderfast_all.deb"
    assert run("dpkg-deb", "--field", deb, "Architecture").stdout.strip() == "all"
    assert run("dpkg-deb", "--field", deb, "Depends").stdout.strip() == "libc6, uuid-runtime"


def test_contents_and_maintainer_scripts(built):
    deb, files = built
    listing = run("dpkg-deb", "--contents", deb).stdout
    modes = {line.split()[-1]: line.split()[0] for line in listing.splitlines()}
    assert modes["./usr/bin/mdatp"] == "-rwxr-xr-x"
    assert modes["./opt/microsoft/mdatp/sbin/wdavdaemon"] == "-rwxr-xr-x"
    assert modes["./lib/systemd/system/mdatp.service"] == "-rw-r--r--"
    assert modes["./etc/opt/microsoft/mdatp/"] == "drwxr-xr-x"
    assert all(" root/root " in line for line in listing.splitlines())

    unit = (files / "lib/systemd/system/mdatp.service").read_text()
    assert "ExecStart=/opt/microsoft/mdatp/sbin/wdavdaemon\n" in unit
    cli_text = (files / "usr/bin/mdatp").read_text()
    assert cli_text.startswith("#!/bin/sh\n") and "TEST DOUBLE" in cli_text
    assert "python" not in cli_text and "jq " not in cli_text
    run("sh", "-n", files / "usr/bin/mdatp")
    # the daemon: a static executable (no interpreter, so its /proc/<pid>/exe is its own path)
    daemon = (files / "opt/microsoft/mdatp/sbin/wdavdaemon").read_bytes()
    assert daemon.startswith(b"\x7fELF") and b"TEST DOUBLE" in daemon
    assert b".interp" not in daemon  # no dynamic loader: statically linked

    info = run("dpkg-deb", "--info", deb).stdout
    control = files.parent / "control"
    run("dpkg-deb", "--control", deb, control)
    for script in ("postinst", "prerm", "postrm"):
        assert re.search(rf"^\s+\d+ bytes,\s+\d+ lines\s+\*\s+{script}\s", info, re.MULTILINE)
        run("sh", "-n", control / script)
    postinst = (control / "postinst").read_text()
    assert "useradd --system --no-create-home --user-group --shell /usr/sbin/nologin mdatp" in (
        postinst
    )
    assert "getent passwd mdatp" in postinst
    # like the real package, it enables and starts mdatp.service, but only with systemd running
    guard = postinst.index("if [ -d /run/systemd/system ]")
    for action in ("enable", "restart"):
        assert postinst.index(f"systemctl {action} mdatp.service") > guard
    assert "systemctl start" not in postinst
    postrm = (control / "postrm").read_text()
    assert "rm -rf /opt/microsoft/mdatp /var/opt/microsoft/mdatp" in postrm
    removals = [line for line in postrm.splitlines() if line.strip().startswith("rm")]
    assert removals and not any("/etc" in line for line in removals)
    assert "userdel" not in postrm


def test_product_expiration_is_nine_months_after_release():
    assert fake_mdatp.product_expiration("101.25042.0003") == "Jan 01, 2026 at 12:00:00 AM"
    assert fake_mdatp.product_expiration("101.24122.0004") == "Sep 01, 2025 at 12:00:00 AM"
    assert fake_mdatp.product_expiration("nonsense") == "unavailable"


# --- the mdatp command, run from the unpacked package with its paths under a private root ----


class Cli:
    def __init__(self, files, root):
        self.files = files
        self.root = root
        self.env = {**os.environ, "MDATP_TEST_ROOT": str(root), "LC_ALL": "C"}

    def path(self, absolute):
        return self.root / str(absolute).lstrip("/")

    def write(self, absolute, text):
        path = self.path(absolute)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def __call__(self, *args, check=True):
        # through dash, Debian's /bin/sh: what the #!/bin/sh line picks on an installed machine
        return run("dash", self.files / "usr/bin/mdatp", *args, env=self.env, check=check)

    def field(self, name):
        """``mdatp health --field name``'s value: its last line (the first is the ATTENTION
        line while there is no license, as with the real CLI)."""
        return self("health", "--field", name).stdout.splitlines()[-1]

    def health(self):
        return json.loads(self("health", "--output", "json").stdout)

    def daemon(self):
        """The unpacked package's wdavdaemon, running with this root until the block ends."""
        self.path("/run").mkdir(parents=True, exist_ok=True)
        self.path(fake_mdatp.DAEMON_WATCHED_DIR).mkdir(parents=True, exist_ok=True)
        return fake_mdatp.daemon_running(self.files / DAEMON.lstrip("/"), env=self.env)


@pytest.fixture
def cli_without_daemon(built, tmp_path):
    return Cli(built[1], tmp_path / "root")


@pytest.fixture
def cli(cli_without_daemon):
    """The CLI, with its daemon running (started and stopped by its pid)."""
    with cli_without_daemon.daemon():
        yield cli_without_daemon


def test_unlicensed(cli):
    result = cli("health", "--field", "licensed")
    assert result.stdout.splitlines() == [fake_mdatp.NO_LICENSE, "false"]
    assert result.returncode == 0 and result.stderr == ""
    health = cli.health()
    assert set(health) >= JSON_FIELDS
    assert health["licensed"] is False and health["healthy"] is False
    assert health["health_issues"] == ["missing license"]
    assert health["org_id"] == ""
    assert health["conflicting_applications"] == []
    assert health["app_version"] == VERSION
    assert health["release_ring"] == "Production"
    assert cli.field("health_issues") == '["missing license"]'
    plain = cli("health").stdout.splitlines()
    assert plain[0] == fake_mdatp.NO_LICENSE
    assert re.fullmatch(r"licensed +: false", plain[3])


def test_onboarded(cli):
    onboard = cli.write(ONBOARD, fake_mdatp.onboarding_blob(ORG_ID))
    onboard.chmod(0o600)
    result = cli("health", "--field", "licensed")
    assert result.stdout == "true\n"
    assert cli.field("org_id") == f'"{ORG_ID}"'
    assert cli.field("healthy") == "true"
    assert cli.field("health_issues") == "[]"
    assert cli.field("app_version") == f'"{VERSION}"'
    health = cli.health()
    assert (health["licensed"], health["healthy"], health["health_issues"]) == (True, True, [])
    assert health["org_id"] == ORG_ID
    assert fake_mdatp.NO_LICENSE not in cli("health").stdout

    cli.write(OFFBOARD, "{}")  # an offboarding blob left behind: not licensed
    assert cli.health()["licensed"] is False


@pytest.mark.parametrize(
    "content",
    ["", "{}", '{"orgId": "4b8f3c2e-5d1a-4e6f-9a7b-0c1d2e3f4a5b"}', "not json"],
    ids=["empty", "no-key", "no-onboardingInfo", "garbage"],
)
def test_onboarding_file_without_onboarding_info_is_no_license(cli, content):
    cli.write(ONBOARD, content)
    assert cli.health()["licensed"] is False


def test_onboarding_blob_shape():
    outer = json.loads(fake_mdatp.onboarding_blob(ORG_ID))
    info = json.loads(outer["onboardingInfo"])
    body = json.loads(info["body"])
    assert body["orgId"] == ORG_ID and body["previousOrgIds"] == []
    assert {"sig", "sha256sig", "cert", "chain"} <= set(info)


@pytest.mark.parametrize(
    ("managed", "passive", "real_time", "tag"),
    [
        (None, "true", "false", ""),
        ('{"antivirusEngine": {"enforcementLevel": "passive"}}', "true", "false", " [managed]"),
        ('{"antivirusEngine": {"enforcementLevel": "on_demand"}}', "false", "false", " [managed]"),
        (
            '{\n  "networkProtection": {"enforcementLevel": "block"},\n'
            '  "antivirusEngine": {\n    "enforcementLevel" : "real_time"\n  }\n}',
            "false",
            "true",
            " [managed]",
        ),
    ],
    ids=["default", "passive", "on_demand", "real_time"],
)
def test_enforcement_level_from_managed_settings(cli, managed, passive, real_time, tag):
    if managed is not None:
        cli.write(MANAGED, managed)
    assert cli.field("passive_mode_enabled") == passive
    assert cli.field("real_time_protection_enabled") == real_time
    health = cli.health()
    assert health["passive_mode_enabled"] is (passive == "true")
    assert health["real_time_protection_enabled"] is (real_time == "true")
    plain = cli("health").stdout
    assert re.search(rf"^passive_mode_enabled +: {passive}{re.escape(tag)}$", plain, re.M)


def test_proxy_set_clear_and_read_back(cli):
    assert cli.field("cloud_proxy") == '""'
    result = cli("config", "proxy", "set", "--value", "http://proxy.example:3128")
    assert result.stdout == f"{fake_mdatp.PROXY_UPDATED}\n"
    assert cli.field("cloud_proxy") == '"http://proxy.example:3128"'
    assert cli.health()["cloud_proxy"] == "http://proxy.example:3128"
    stored = json.loads(cli.path(fake_mdatp.LOCAL_CONFIG).read_text())
    assert stored == {"cloudService": {"proxy": "http://proxy.example:3128"}}

    cli.write(MANAGED, '{"cloudService": {"proxy": "http://managed.example:8080/"}}')
    assert cli.field("cloud_proxy") == '"http://managed.example:8080/"'  # managed wins
    assert re.search(r"^cloud_proxy +: \"http://managed.example:8080/\" \[managed\]$",
                     cli("health").stdout, re.M)  # fmt: skip
    cli.path(MANAGED).unlink()

    assert cli("config", "proxy", "clear").stdout == f"{fake_mdatp.PROXY_UPDATED}\n"
    assert cli.field("cloud_proxy") == '""'
    for bad in ("", "http://a b:1", 'http://"x"'):
        result = cli("config", "proxy", "set", "--value", bad, check=False)
        assert result.returncode == 1 and result.stderr and result.stdout == ""
    assert cli.field("cloud_proxy") == '""'


def test_version_and_errors(cli):
    assert cli("version").stdout == f"Product version: {VERSION}\n"
    unknown = cli("health", "--field", "no_such_field", check=False)
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert "no_such_field" in unknown.stderr
    for args in (
        (),
        ("scan", "quick"),
        ("health", "--output", "yaml"),
        ("health", "--field"),
        ("config", "proxy", "set"),
        ("config", "real-time-protection", "--value", "enabled"),
        ("version", "--verbose"),
    ):
        result = cli(*args, check=False)
        assert (result.returncode, result.stdout) == (2, ""), args
        assert "Usage:" in result.stderr


def test_insiders_package_reports_its_ring(tmp_path):
    deb = fake_mdatp.build_deb(
        "101.25042.0003-insiderfast",
        tmp_path,
        release_ring=fake_mdatp.RELEASE_RINGS["insiders-fast"],
    )
    files = fake_mdatp.extract(deb, tmp_path / "files")
    insiders = Cli(files, tmp_path / "root")
    with insiders.daemon():
        assert insiders.field("release_ring") == '"InsiderFast"'
        assert insiders.field("app_version") == f'"{VERSION}"'
        assert insiders("version").stdout == f"Product version: {VERSION}\n"


# --- the daemon, and the CLI without it ----------------------------------------------------------

CLIENT_COMMANDS = (
    ("health",),
    ("health", "--field", "licensed"),
    ("health", "--output", "json"),
    ("config", "proxy", "set", "--value", "http://proxy.example:3128"),
    ("config", "proxy", "clear"),
    ("version",),
)


def assert_refuses(cli):
    for args in CLIENT_COMMANDS:
        result = cli(*args, check=False)
        assert (result.returncode, result.stdout) == (1, ""), args
        assert result.stderr == f"{fake_mdatp.NO_DAEMON}\n", args


def test_cli_refuses_without_its_daemon(cli_without_daemon):
    cli = cli_without_daemon
    assert_refuses(cli)
    assert not cli.path(fake_mdatp.LOCAL_CONFIG).exists()  # config proxy set changed nothing
    usage = cli("scan", "quick", check=False)  # a usage error is still one
    assert usage.returncode == 2 and "Usage:" in usage.stderr

    # a pid file naming no process, another process, or garbage: still no daemon
    pid_file = cli.path(fake_mdatp.DAEMON_PID_FILE)
    for content in ("999999999\n", f"{os.getpid()}\n", "wdavdaemon\n", ""):
        cli.write(fake_mdatp.DAEMON_PID_FILE, content)
        assert_refuses(cli)
    pid_file.unlink()

    with cli.daemon() as daemon:
        assert pid_file.read_text() == f"{daemon.pid}\n"
        assert cli("version").stdout == f"Product version: {VERSION}\n"
        assert cli.health()["app_version"] == VERSION
    assert not pid_file.exists()  # the daemon removes it when it stops
    assert_refuses(cli)


def test_daemon_holds_a_fanotify_fd_as_mdatps_own(cli_without_daemon):
    """Seen from /proc as the real daemon is: its exe is the package's wdavdaemon, holding a
    fanotify fd; the project's own scanner finds it (notification class, one mark)."""
    cli = cli_without_daemon
    daemon_path = cli.files / DAEMON.lstrip("/")
    with cli.daemon() as daemon:
        assert os.readlink(f"/proc/{daemon.pid}/exe") == str(daemon_path)
        assert pathlib.Path(f"/proc/{daemon.pid}/comm").read_text() == "wdavdaemon\n"
        holders = fanotify_scan.scan("/proc")[0]
        mine = [holder for holder in holders if holder.pid == daemon.pid]
        assert len(mine) == 1 and mine[0].exe == str(daemon_path)
        assert not mine[0].blocking  # it can never hold up a file access
        assert [fd["marks"] for fd in mine[0].fds] == [1]

        # a second daemon refuses to start while the first runs, and leaves its pid file alone
        second = run(daemon_path, check=False, env=cli.env, timeout=10)
        assert second.returncode == 1 and "already running" in second.stderr
        assert cli.path(fake_mdatp.DAEMON_PID_FILE).read_text() == f"{daemon.pid}\n"
        assert cli("health", "--field", "healthy").returncode == 0
    assert daemon.returncode == 0  # stopped by SIGTERM, cleanly


def test_daemon_without_fanotify_does_not_start(cli_without_daemon, tmp_path):
    """Without CAP_SYS_ADMIN fanotify_init fails: the daemon exits 1, writes no pid file."""
    cli = cli_without_daemon
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is missing")
    if os.geteuid() != 0:
        pytest.skip("needs root to drop the capability")
    result = run(
        "setpriv", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin",
        cli.files / DAEMON.lstrip("/"), check=False, env=cli.env, timeout=10,
    )  # fmt: skip
    assert result.returncode == 1 and "fanotify_init" in result.stderr
    assert not cli.path(fake_mdatp.DAEMON_PID_FILE).exists()


# --- the repository ----------------------------------------------------------------------------


def channel_dir(repo, channel):
    return repo.root / "debian" / "12" / channel


def parse_stanzas(text):
    stanzas = []
    for block in text.strip().split("\n\n"):
        fields, last = {}, None
        for line in block.splitlines():
            if line.startswith(" ") and last:
                fields[last] += "\n" + line
            else:
                last, _, value = line.partition(":")
                fields[last] = value.strip()
        stanzas.append(fields)
    return stanzas


def test_repository_layout_and_packages(mdatp_repo):
    assert mdatp_repo.url.startswith("http://127.0.0.1:")
    assert mdatp_repo.key_url == f"{mdatp_repo.url}/keys/microsoft.asc"
    assert len(mdatp_repo.versions) >= 2 and {"prod", "insiders-fast"} <= set(mdatp_repo.channels)
    arch = mdatp_repo.architecture
    for channel in mdatp_repo.channels:
        index = channel_dir(mdatp_repo, channel) / f"dists/bookworm/main/binary-{arch}"
        packages = (index / "Packages").read_bytes()
        assert gzip.decompress((index / "Packages.gz").read_bytes()) == packages
        stanzas = parse_stanzas(packages.decode())
        expected = [mdatp_repo.package_version(v, channel) for v in mdatp_repo.versions]
        assert sorted(s["Version"] for s in stanzas) == sorted(expected)
        for stanza in stanzas:
            assert stanza["Package"] == "mdatp" and stanza["Architecture"] == arch
            deb = channel_dir(mdatp_repo, channel) / stanza["Filename"]
            assert deb == mdatp_repo.deb_path(stanza["Version"].split("-")[0], channel)
            assert stanza["Filename"].startswith("pool/main/m/mdatp/")
            content = deb.read_bytes()
            assert int(stanza["Size"]) == len(content)
            assert stanza["SHA256"] == hashlib.sha256(content).hexdigest()
            assert stanza["Depends"] == "libc6 (>= 2.23)"
        config = (mdatp_repo.root / f"config/debian/12/{channel}.list").read_text()
        assert config.split() == [
            "deb",
            "[arch=amd64,arm64,armhf",
            f"signed-by={apt_repo.KEYRING}]",
            mdatp_repo.channel_url(channel),
            "bookworm",
            "main",
        ]
    assert mdatp_repo.package_version(VERSION, "insiders-fast") == f"{VERSION}-insiderfast"
    assert mdatp_repo.source_line() == (
        f"deb [signed-by={apt_repo.KEYRING}] {mdatp_repo.url}/debian/12/prod bookworm main"
    )


def test_release_checksums(mdatp_repo):
    for channel in mdatp_repo.channels:
        dist = channel_dir(mdatp_repo, channel) / "dists/bookworm"
        release = parse_stanzas((dist / "Release").read_text())[0]
        assert release["Suite"] == release["Codename"] == "bookworm"
        assert release["Components"] == "main"
        assert mdatp_repo.architecture in release["Architectures"].split()
        for field, algorithm in apt_repo.RELEASE_HASHES:
            entries = [line.split() for line in release[field].strip().splitlines()]
            listed = {name for _, _, name in entries}
            assert f"main/binary-{mdatp_repo.architecture}/Packages" in listed
            assert f"main/binary-{mdatp_repo.architecture}/Packages.gz" in listed
            for digest, size, name in entries:
                content = (dist / name).read_bytes()
                assert int(size) == len(content), name
                assert hashlib.new(algorithm, content).hexdigest() == digest, name


def test_signatures_verify_with_the_exported_key(mdatp_repo, tmp_path):
    keyring = mdatp_repo.binary_key_path
    for channel in mdatp_repo.channels:
        dist = channel_dir(mdatp_repo, channel) / "dists/bookworm"
        inrelease = run("gpgv", "--keyring", keyring, dist / "InRelease")
        assert mdatp_repo.key_fingerprint[-16:] in inrelease.stderr.replace(" ", "")
        run("gpgv", "--keyring", keyring, dist / "Release.gpg", dist / "Release")
        tampered = tmp_path / f"{channel}-Release"
        tampered.write_text((dist / "Release").read_text().replace("bookworm", "trixie"))
        bad = run("gpgv", "--keyring", keyring, dist / "Release.gpg", tampered, check=False)
        assert bad.returncode != 0
    # the armored key is the binary one, and has the fingerprint announced
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    gpg = ("gpg", "--homedir", home, "--batch")
    dearmored = tmp_path / "dearmored.gpg"
    run(*gpg, "--output", dearmored, "--dearmor", mdatp_repo.armored_key_path)
    assert dearmored.read_bytes() == keyring.read_bytes()
    shown = run(*gpg, "--with-colons", "--show-keys", mdatp_repo.armored_key_path).stdout
    fingerprints = [line.split(":")[9] for line in shown.splitlines() if line.startswith("fpr:")]
    assert fingerprints[0] == mdatp_repo.key_fingerprint
    assert re.fullmatch(r"[0-9A-F]{40}", mdatp_repo.key_fingerprint)
    run("gpgconf", "--homedir", home, "--kill", "all", check=False)


def test_served_over_loopback_http(mdatp_repo):
    assert mdatp_repo.server.host == "127.0.0.1"
    with URLOPEN(mdatp_repo.key_url, timeout=10) as response:
        assert response.read() == mdatp_repo.armored_key_path.read_bytes()
    inrelease = f"{mdatp_repo.channel_url()}/dists/bookworm/InRelease"
    with URLOPEN(inrelease, timeout=10) as response:
        local = channel_dir(mdatp_repo, "prod") / "dists/bookworm/InRelease"
        assert response.read() == local.read_bytes()
    with pytest.raises(urllib.error.HTTPError) as missing:
        URLOPEN(f"{mdatp_repo.url}/no/such/file", timeout=10)
    assert missing.value.code == 404
    assert "/keys/microsoft.asc" in mdatp_repo.requests


@pytest.mark.parametrize("source", ["prod", "insiders-fast", "config/prod.list"])
def test_apt_trusts_the_repository_in_private_state(mdatp_repo, tmp_path, source):
    """apt itself (in a private state directory: nothing of the machine's apt changes) fetches
    the indexes without a trust warning and downloads a package whose hash matches; also with
    the source line the repository serves as Microsoft does (config/debian/12/prod.list, with
    ``arch=amd64,arm64,armhf``; its keyring swapped for the exported key)."""
    channel, line = source, None
    if source.startswith("config/"):
        channel = "prod"
        with URLOPEN(f"{mdatp_repo.url}/config/debian/12/prod.list", timeout=10) as response:
            line = response.read().decode().strip()
        line = line.replace(apt_repo.KEYRING, str(mdatp_repo.binary_key_path))
    update = apt_repo.apt_get_isolated(
        mdatp_repo, tmp_path, "update", channel=channel, source_line=line
    )
    output = update.stdout + update.stderr
    assert update.returncode == 0, output
    assert not TRUST_PROBLEMS.search(output), output
    assert not re.search(r"^N:", output, re.M), output  # e.g. an architecture it lacks
    version = mdatp_repo.package_version(mdatp_repo.versions[0], channel)
    download = apt_repo.apt_get_isolated(
        mdatp_repo, tmp_path, "download", f"mdatp={version}", channel=channel, source_line=line
    )
    assert download.returncode == 0, download.stdout + download.stderr
    published = mdatp_repo.deb_path(mdatp_repo.versions[0], channel)
    assert (tmp_path / published.name).read_bytes() == published.read_bytes()


def test_apt_refuses_the_repository_signed_by_another_key(mdatp_repo, tmp_path):
    """The control of the test above: with another keyring, apt sees the signature and refuses."""
    other = pathlib.Path("/usr/share/keyrings/debian-archive-keyring.gpg")
    if not other.is_file():
        pytest.skip(f"{other} is missing")
    line = mdatp_repo.source_line(keyring=other)
    update = apt_repo.apt_get_isolated(mdatp_repo, tmp_path, "update", source_line=line)
    output = update.stdout + update.stderr
    assert "NO_PUBKEY" in output and TRUST_PROBLEMS.search(output), output
    assert mdatp_repo.key_fingerprint[-16:] in output, output


# --- on the machine (destructive) --------------------------------------------------------------


def apt_get(*args, check=True):
    return run("apt-get", "-q", *APT_DIRECT, *args, env=APT_ENV, check=check, timeout=300)


def add_repository(repo, tmp_path, channel="prod"):
    """What Microsoft's instructions do, against the double: the key from ``key_url``,
    dearmored into the keyring; the source line with ``signed-by``; ``apt-get update`` of it."""
    with URLOPEN(repo.key_url, timeout=10) as response:
        (tmp_path / "microsoft.asc").write_bytes(response.read())
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700, exist_ok=True)
    dearmored = tmp_path / "microsoft-prod.gpg"
    run("gpg", "--homedir", home, "--batch", "--yes", "--output", dearmored, "--dearmor",
        tmp_path / "microsoft.asc")  # fmt: skip
    KEYRING.write_bytes(dearmored.read_bytes())
    KEYRING.chmod(0o644)
    SOURCE.write_text(repo.source_line(channel, keyring=KEYRING) + "\n")
    # Only this source (deterministic: no other mirror's hiccup in the output); the cleanup's
    # own `apt-get update` then drops its lists again
    update = apt_get(
        "-o", f"Dir::Etc::SourceList={SOURCE}",
        "-o", "Dir::Etc::SourceParts=/nonexistent",
        "-o", "APT::Get::List-Cleanup=false",
        "update",
    )  # fmt: skip
    return update.stdout + update.stderr


def installed_version():
    result = run("dpkg-query", "-W", "-f=${Status} ${Version}", "mdatp", check=False)
    if result.returncode != 0 or "not-installed" in result.stdout:
        return None
    status, _, version = result.stdout.rpartition(" ")
    assert status == "install ok installed", result.stdout
    return version


def mdatp_field(name):
    return run("mdatp", "health", "--field", name).stdout.splitlines()[-1]


def wdavdaemon_running():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if b"wdavdaemon" in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_install_onboard_upgrade_purge(mdatp_repo, mdatp_cleanup, tmp_path, request):
    old, new = mdatp_repo.versions[0], mdatp_repo.versions[-1]
    update = add_repository(mdatp_repo, tmp_path)
    assert f"{mdatp_repo.channel_url()} bookworm InRelease" in update
    assert not TRUST_PROBLEMS.search(update), update
    policy = run("apt-cache", "policy", "mdatp").stdout
    for version in mdatp_repo.versions:
        assert re.search(rf"^\s+{re.escape(version)} 500\s*$", policy, re.M), policy
    assert mdatp_repo.channel_url() in policy

    # install the older version
    install = apt_get("install", "-y", f"mdatp={old}")
    assert not TRUST_PROBLEMS.search(install.stdout + install.stderr), install.stdout
    assert installed_version() == old
    assert f"/debian/12/prod/pool/main/m/mdatp/mdatp_{old}_{mdatp_repo.architecture}.deb" in (
        mdatp_repo.requests
    )
    for path in ("/usr/bin/mdatp", "/opt/microsoft/mdatp/sbin/wdavdaemon"):
        assert os.access(path, os.X_OK), path
    assert pathlib.Path("/lib/systemd/system/mdatp.service").is_file()
    assert pathlib.Path("/etc/opt/microsoft/mdatp").is_dir()
    user = pwd.getpwnam("mdatp")
    assert user.pw_shell == "/usr/sbin/nologin"
    assert user.pw_uid < 1000 and user.pw_gid < 1000  # a system account
    assert not pathlib.Path(user.pw_dir).exists() or user.pw_dir == "/"
    assert not wdavdaemon_running()  # the package starts nothing without systemd
    refused = run("mdatp", "health", "--field", "licensed", check=False)
    assert (refused.returncode, refused.stderr) == (1, f"{fake_mdatp.NO_DAEMON}\n")

    # the daemon, started as mdatp.service would (here by its own pid: no systemd)
    daemon = contextlib.ExitStack()
    request.addfinalizer(daemon.close)  # before mdatp_cleanup's teardown
    daemon.enter_context(fake_mdatp.daemon_running(DAEMON))
    assert wdavdaemon_running()
    assert run("mdatp", "version").stdout == f"Product version: {old}\n"
    assert run("mdatp", "health", "--field", "licensed").stdout.splitlines() == [
        fake_mdatp.NO_LICENSE,
        "false",
    ]

    # onboard (the blob as the portal's onboarding script writes it) and configure
    ONBOARD.write_text(fake_mdatp.onboarding_blob(ORG_ID))
    ONBOARD.chmod(0o600)
    assert run("mdatp", "health", "--field", "licensed").stdout == "true\n"
    assert mdatp_field("org_id") == f'"{ORG_ID}"'
    MANAGED.parent.mkdir(parents=True, exist_ok=True)
    MANAGED.write_text(json.dumps({"antivirusEngine": {"enforcementLevel": "real_time"}}))
    assert mdatp_field("passive_mode_enabled") == "false"
    assert mdatp_field("real_time_protection_enabled") == "true"
    set_proxy = run("mdatp", "config", "proxy", "set", "--value", "http://proxy.example:3128")
    assert set_proxy.stdout == f"{fake_mdatp.PROXY_UPDATED}\n"
    assert mdatp_field("cloud_proxy") == '"http://proxy.example:3128"'
    health = json.loads(run("mdatp", "health", "--output", "json").stdout)
    assert (health["licensed"], health["healthy"], health["app_version"]) == (True, True, old)

    # upgrade (with the daemon stopped first, as the package's prerm does under systemd):
    # same user, settings and onboarding kept
    daemon.close()
    assert not wdavdaemon_running()
    apt_get("install", "-y", f"mdatp={new}")
    assert installed_version() == new
    daemon.enter_context(fake_mdatp.daemon_running(DAEMON))
    assert run("mdatp", "version").stdout == f"Product version: {new}\n"
    assert pwd.getpwnam("mdatp")[2:4] == user[2:4]
    assert mdatp_field("licensed") == "true"
    assert mdatp_field("app_version") == f'"{new}"'
    assert mdatp_field("cloud_proxy") == '"http://proxy.example:3128"'
    daemon.close()
    assert not wdavdaemon_running()

    # purge: the product's files go; the admin's files and the user stay
    apt_get("purge", "-y", "mdatp")
    assert installed_version() is None
    for path in ("/usr/bin/mdatp", "/opt/microsoft/mdatp", "/var/opt/microsoft/mdatp"):
        assert not os.path.lexists(path), path
    assert ONBOARD.is_file() and MANAGED.is_file()
    assert pwd.getpwnam("mdatp")[2:4] == user[2:4]


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
@pytest.mark.parametrize("existing", ["user", "group"])
def test_postinst_keeps_an_admins_mdatp_account(mdatp_repo, mdatp_cleanup, existing):
    """An admin who created the mdatp account first (to choose its ids) keeps it."""
    if cleanup.user_exists() or cleanup.group_exists():
        pytest.skip("this machine already has an mdatp user or group")
    gid = free_account_id()
    run("groupadd", "--gid", gid, "mdatp")
    if existing == "user":
        uid = free_account_id(gid + 1)
        run("useradd", "--uid", uid, "--gid", gid, "--no-create-home",
            "--shell", "/usr/sbin/nologin", "mdatp")  # fmt: skip
    deb = mdatp_repo.deb_path(mdatp_repo.versions[0])
    run("dpkg", "-i", deb, env=APT_ENV)
    account = pwd.getpwnam("mdatp")
    assert account.pw_gid == gid
    if existing == "user":
        assert account.pw_uid == uid
    else:
        assert account.pw_uid < 1000 and account.pw_shell == "/usr/sbin/nologin"
    run("dpkg", "--purge", "mdatp", env=APT_ENV)
    assert installed_version() is None
    assert pwd.getpwnam("mdatp").pw_gid == gid  # purge keeps the account


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
@pytest.mark.parametrize("scenario", ["onboarded", "admin-settings-before", "purged-by-test"])
def test_cleanup_leaves_the_machine_as_found(mdatp_repo, mdatp_cleanup, tmp_path, scenario):
    """The logic of ``mdatp_cleanup`` (cleanup.machine_restored) undoes a test that added the
    repository and its keyrings, installed mdatp and then failed: after onboarding and
    configuring it; the same with the admin's managed settings there before; after purging it
    itself (dpkg then also removes an empty /etc/opt: the cleanup makes it again)."""
    admin_managed = '{"antivirusEngine": {"enforcementLevel": "passive"}}\n'
    if scenario == "admin-settings-before":  # made before the test (the fixture removes them)
        MANAGED.parent.mkdir(parents=True, exist_ok=True)
        MANAGED.write_text(admin_managed)
    before = cleanup.Snapshot.take()
    keys = (mdatp_repo.armored_key_path, mdatp_repo.binary_key_path)
    trusted = pathlib.Path("/etc/apt/trusted.gpg.d/microsoft.gpg")

    with pytest.raises(RuntimeError, match="the test failed"):
        with cleanup.machine_restored(mdatp_repo.url, keys):
            add_repository(mdatp_repo, tmp_path)
            trusted.write_bytes(mdatp_repo.binary_key_path.read_bytes())
            apt_get("install", "-y", "mdatp")
            assert installed_version() == mdatp_repo.versions[-1]
            if scenario == "purged-by-test":
                run("dpkg", "--purge", "mdatp", env=APT_ENV)
            else:
                ONBOARD.write_text(fake_mdatp.onboarding_blob(ORG_ID))
                MANAGED.parent.mkdir(parents=True, exist_ok=True)
                MANAGED.write_text('{"antivirusEngine": {"enforcementLevel": "real_time"}}')
                # a daemon the test started and never stopped: the cleanup stops it
                subprocess.Popen([DAEMON], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                deadline = time.monotonic() + 10
                while run("mdatp", "version", check=False).returncode != 0:
                    assert time.monotonic() < deadline, "the daemon did not start"
                    time.sleep(0.05)
                run("mdatp", "config", "proxy", "set", "--value", "http://proxy.example:3128")
            raise RuntimeError("the test failed")

    after = cleanup.Snapshot.take()
    assert after.comparable() == before.comparable()
    assert installed_version() is None
    assert not wdavdaemon_running()
    assert not os.path.lexists(fake_mdatp.DAEMON_PID_FILE)
    for path in (SOURCE, KEYRING, trusted):
        assert os.path.lexists(path) == (path in before.sources or path in before.keyrings)
    assert (cleanup.user_exists(), cleanup.group_exists()) == (before.user, before.group)
    assert not os.path.lexists("/opt/microsoft/mdatp")
    assert not os.path.lexists("/var/opt/microsoft/mdatp")
    assert not os.path.lexists(ONBOARD)
    if scenario == "admin-settings-before":
        assert MANAGED.read_text() == admin_managed
    elif before.etc_microsoft is None:
        assert not os.path.lexists(cleanup.ETC_MICROSOFT)
    host = f"{mdatp_repo.server.host}"
    port = str(mdatp_repo.server.port)
    assert not [p for p in cleanup.APT_LISTS.iterdir() if host in p.name and port in p.name]
    assert {p.name for p in cleanup.APT_ARCHIVES.glob("mdatp_*")} == before.archives
    policy = run("apt-cache", "policy", "mdatp").stdout
    assert mdatp_repo.url not in policy
