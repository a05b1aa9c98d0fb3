"""The mde formula rendered (state.show_sls) for every supported family and channel: the
repository and package data each would apply. Nothing is applied."""

import pytest

from tests.functional.conftest import show_sls, state_args

CHANNELS = ("prod", "insiders-fast", "insiders-slow")

OWN_KEYRING = "/usr/share/keyrings/mdeprereq-microsoft.gpg"
OLD_KEY_FILE = "file:///etc/pki/rpm-gpg/mdeprereq-microsoft.asc"
# (mde grain identity, expected repository state, expected pinned version for 101.25042.0003).
# apt: the insiders channels are suites of the prod repository ({suite}: the codename for prod);
# the formula's own file and keyring, never packages-microsoft-prod's (repos.py cites both).
RELEASES = {
    "debian-12": (
        {"os": "debian", "version": "12", "arch": "x86_64"},
        {
            "pkgrepo": "managed",
            "name": f"deb [arch=amd64 signed-by={OWN_KEYRING}] "
            "https://packages.microsoft.com/debian/12/prod {suite} main",
            "file": "/etc/apt/sources.list.d/mdeprereq-microsoft-{channel}.list",
            "aptkey": False,
        },
        {
            "prod": "101.25042.0003",
            "insiders-fast": "101.25042.0003-insiderfast",
            "insiders-slow": "101.25042.0003-external",
        },
    ),
    "debian-11-arm64": (
        {"os": "debian", "version": "11", "arch": "aarch64"},
        {
            "pkgrepo": "managed",
            "name": f"deb [arch=arm64 signed-by={OWN_KEYRING}] "
            "https://packages.microsoft.com/debian/11/prod {suite} main",
        },
        None,
    ),
    "ubuntu-24.04": (
        {"os": "ubuntu", "version": "24.04", "arch": "x86_64"},
        {
            "pkgrepo": "managed",
            "name": f"deb [arch=amd64 signed-by={OWN_KEYRING}] "
            "https://packages.microsoft.com/ubuntu/24.04/prod {suite} main",
        },
        None,
    ),
    "ubuntu-20.04": (
        {"os": "ubuntu", "version": "20.04", "arch": "x86_64"},
        {
            "pkgrepo": "managed",
            "name": f"deb [arch=amd64 signed-by={OWN_KEYRING}] "
            "https://packages.microsoft.com/ubuntu/20.04/prod {suite} main",
        },
        None,
    ),
    "rhel-7.9": (
        {"os": "rhel", "version": "7.9", "arch": "x86_64"},
        {
            "pkgrepo": "managed",
            "baseurl": "https://packages.microsoft.com/rhel/7/{channel}/",
            "gpgcheck": 1,
            "gpgkey": OLD_KEY_FILE,
        },
        {
            "prod": "101.25042.0003",
            "insiders-fast": "101.25042.0003_insiderfast-1",
            "insiders-slow": "101.25042.0003_external-1",
        },
    ),
    "rhel-9.4": (
        {"os": "rhel", "version": "9.4", "arch": "x86_64"},
        {"pkgrepo": "managed", "baseurl": "https://packages.microsoft.com/rhel/9/{channel}/"},
        None,
    ),
    "centos-7.9": (
        {"os": "centos", "version": "7.9", "arch": "x86_64"},
        {"pkgrepo": "managed", "baseurl": "https://packages.microsoft.com/rhel/7/{channel}/"},
        None,
    ),
    "ol-8.10": (
        {"os": "ol", "version": "8.10", "arch": "x86_64"},
        {"pkgrepo": "managed", "baseurl": "https://packages.microsoft.com/rhel/8/{channel}/"},
        None,
    ),
    "rocky-9.2": (
        {"os": "rocky", "version": "9.2", "arch": "x86_64"},
        {"pkgrepo": "managed", "baseurl": "https://packages.microsoft.com/rocky/9/{channel}/"},
        None,
    ),
    "almalinux-8.4": (
        {"os": "almalinux", "version": "8.4", "arch": "x86_64"},
        {"pkgrepo": "managed", "baseurl": "https://packages.microsoft.com/alma/8/{channel}/"},
        None,
    ),
    "amzn-2023": (
        {"os": "amzn", "version": "2023", "arch": "aarch64"},
        {
            "pkgrepo": "managed",
            "baseurl": "https://packages.microsoft.com/amazonlinux/2023/{channel}/",
        },
        None,
    ),
    "fedora-40": (
        {"os": "fedora", "version": "40", "arch": "x86_64"},
        # Microsoft's installer sends Fedora before 43 to rhel/8 (repos.py)
        {"pkgrepo": "managed", "baseurl": "https://packages.microsoft.com/rhel/8/{channel}/"},
        None,
    ),
    "sles-15.6": (
        {"os": "sles", "version": "15.6", "arch": "x86_64"},
        {
            "pkgrepo": "managed",
            "baseurl": "https://packages.microsoft.com/sles/15/{channel}/",
        },
        None,
    ),
}


@pytest.fixture
def render(loaders):
    def show(identity, **settings):
        return show_sls(loaders, "mde", identity, settings)

    return show


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("release", list(RELEASES))
def test_repository_and_package_per_release_and_channel(render, release, channel):
    identity, expected_repo, pins = RELEASES[release]
    rendered = render(identity, channel=channel, mdatp_version="101.25042.0003")
    assert isinstance(rendered, dict), rendered  # a list of errors when it does not render
    module, function, args = state_args(rendered, "mde-repo-pkgrepo-managed")
    assert (module, function) == ("pkgrepo", expected_repo["pkgrepo"])
    for key, value in expected_repo.items():
        if key == "pkgrepo":
            continue
        suite = channel
        if channel == "prod" and "baseurl" not in args:
            suite = args["name"].rsplit(" ", 2)[1]  # the codename: checked against the line
            assert suite in {"bookworm", "bullseye", "noble", "focal"}
        wanted = value.format(channel=channel, suite=suite) if isinstance(value, str) else value
        assert args[key] == wanted, (key, args)
    assert {"mdeprereq": "mde-prereqs-satisfied"} in args["require"]
    assert {"file": "mde-repo-record-managed"} in args["require"]
    _, _, package = state_args(rendered, "mde-install-pkg-installed")
    assert package["name"] == "mdatp"
    if pins:
        assert package["version"] == pins[channel]
    if "baseurl" not in args:  # apt: the channel is the target release (apt -t insiders-fast)
        assert package.get("fromrepo") == (None if channel == "prod" else channel)
        module, function, key = state_args(rendered, "mde-repo-key-trusted")
        assert (module, function, key["name"], key["binary"]) == (
            "mdeprereq",
            "key_trusted",
            OWN_KEYRING,
            True,
        )
        assert {"mdeprereq": "mde-repo-key-trusted"} in args["require"]
    else:  # dnf/yum --enablerepo=<id>, zypper --from <id>, as Microsoft's installer does
        option = "fromrepo" if identity["os"] == "sles" else "enablerepo"
        assert package.get(option) == (None if channel == "prod" else args["name"])
        assert {"mdeprereq": "mde-repo-key-trusted-microsoft.asc"} in args["require"]
        # Salt's yumpkg has no file argument (it would write file= into the stanza): the
        # formula's own file is seeded with the stanza, which pkgrepo.managed then edits there
        assert "file" not in args
        if identity["os"] != "sles":
            module, function, seed = state_args(rendered, "mde-repo-file-seeded")
            assert (module, function) == ("file", "managed")
            assert seed["name"] == f"/etc/yum.repos.d/mdeprereq-microsoft-{channel}.repo"
            assert seed["contents"] == f"[{args['name']}]\nname={args['name']}\nenabled=0"
            assert seed["replace"] is False
            assert {"file": "mde-repo-file-seeded"} in args["require"]
        if identity["os"] == "sles":
            # zypper: the checked key imported into rpm's database, never auto-imported; no
            # gpgkey (Salt's zypperpkg ignores it)
            assert "gpgautoimport" not in args and "gpgkey" not in args
            _, function, imported = state_args(rendered, "mde-repo-key-imported-microsoft.asc")
            assert imported["name"] == "rpm --import /etc/pki/rpm-gpg/mdeprereq-microsoft.asc"
            assert imported["unless"] == "rpm -q gpg-pubkey-be1229cf"
            assert {"pkgrepo": "mde-repo-pkgrepo-managed"} in imported["require_in"]


def test_sles_imports_the_checked_key_and_refuses_unsigned_packages(render):
    """zypper trusts no gpgkey Salt could set and would auto-import any key the mirror serves:
    the fingerprint-checked key is imported first, and the repository made strict
    (pkg_gpgcheck=1) before mdatp is installed, as tests/rpm shows the real zypper needs."""
    rendered = render({"os": "sles", "version": "15.6", "arch": "x86_64"})
    _, _, repo = state_args(rendered, "mde-repo-pkgrepo-managed")
    assert "gpgautoimport" not in repo and "gpgkey" not in repo
    module, function, key = state_args(rendered, "mde-repo-key-trusted-microsoft.asc")
    assert (module, function) == ("mdeprereq", "key_trusted")
    assert key["keys"] == [
        {
            "name": "microsoft.asc",
            "url": "https://packages.microsoft.com/keys/microsoft.asc",
            "fingerprint": "BC528686B50D79E339D3721CEB3E94ADBE1229CF",
        }
    ]
    _, _, imported = state_args(rendered, "mde-repo-key-imported-microsoft.asc")
    assert {"mdeprereq": "mde-repo-key-trusted-microsoft.asc"} in imported["require"]
    module, function, strict = state_args(rendered, "mde-repo-gpgcheck-strict")
    assert (module, function) == ("cmd", "run")
    assert strict["name"] == (
        "zypper --non-interactive modifyrepo --gpgcheck-strict packages-microsoft-com-prod"
    )
    # the file Salt's zypperpkg writes: named after the alias
    assert "/etc/zypp/repos.d/packages-microsoft-com-prod.repo" in strict["unless"][0]
    assert {"pkgrepo": "mde-repo-pkgrepo-managed"} in strict["require"]
    _, _, package = state_args(rendered, "mde-install-pkg-installed")
    assert {"cmd": "mde-repo-gpgcheck-strict"} in package["require"]


@pytest.mark.parametrize(
    "identity",
    [
        {"os": "debian", "version": "12", "arch": "x86_64"},
        {"os": "rhel", "version": "9.4", "arch": "x86_64"},
    ],
)
def test_only_suse_gets_the_strict_gpgcheck(render, identity):
    rendered = render(identity)
    assert "mde-repo-gpgcheck-strict" not in rendered
    _, _, package = state_args(rendered, "mde-install-pkg-installed")
    assert package["require"] == ["mde-repo-pkgrepo-managed"]


@pytest.mark.parametrize("channel", ("prod", "insiders-slow"))
def test_mariner_uses_its_own_repository_packages(render, channel):
    rendered = render({"os": "mariner", "version": "2.0", "arch": "x86_64"}, channel=channel)
    module, function, args = state_args(rendered, "mde-repo-pkgrepo-managed")
    assert (module, function) == ("pkg", "installed")
    expected = "mariner-repos-extras" if channel == "prod" else "mariner-repos-extras-preview"
    assert args["pkgs"] == ["dnf-plugins-core", expected]  # config-manager comes with it
    # ... and the extras repository enabled, as Microsoft's docs and installer do
    enabled = "mariner-official-extras" if channel == "prod" else "mariner-official-extras-preview"
    module, function, enable = state_args(rendered, f"mde-repo-enable-{enabled}")
    assert (module, function) == ("cmd", "run")
    assert enable["name"] == f"dnf config-manager --enable {enabled}"
    assert {"pkg": "mde-install-pkg-installed"} in enable["require_in"]
    if channel == "prod":
        _, _, disable = state_args(rendered, "mde-repo-disable-mariner-official-extras-preview")
        assert disable["name"] == "dnf config-manager --disable mariner-official-extras-preview"


def test_mariner_has_no_insiders_fast(render):
    rendered = render(
        {"os": "mariner", "version": "2.0", "arch": "x86_64"}, channel="insiders-fast"
    )
    module, function, args = state_args(rendered, "mde-prereqs-supported")
    assert (module, function) == ("test", "fail_without_changes")
    assert "Mariner has no insiders-fast channel" in args["comment"]


@pytest.mark.parametrize(
    ("identity", "reason"),
    [
        ({"os": "ubuntu", "version": "23.10", "arch": "x86_64"}, "not a supported version"),
        ({"os": "linuxmint", "version": "21.3", "arch": "x86_64"}, "not on Microsoft's list"),
        # the 2026-09-14 page lists CentOS Stream, Rocky on ARM64 and Debian 13: these stay out
        ({"os": "centos", "version": "8.5", "arch": "aarch64"}, "not supported on aarch64"),
        ({"os": "rocky", "version": "9.2", "arch": "ppc64le"}, "not supported on ppc64le"),
        ({"os": "debian", "version": "14", "arch": "x86_64"}, "not a supported version"),
        ({"os": "fedora", "version": "45", "arch": "x86_64"}, "not a supported version"),
    ],
)
def test_unsupported_release_is_refused_not_mapped(render, identity, reason):
    rendered = render(identity)
    for state_id in ("mde-prereqs-supported", "mde-repo-pkgrepo-managed"):
        module, function, args = state_args(rendered, state_id)
        assert (module, function) == ("test", "fail_without_changes")
        assert reason in args["comment"]


def test_debian_13_is_listed_and_gets_the_2025_key(render):
    rendered = render({"os": "debian", "version": "13", "arch": "x86_64"})
    _, _, args = state_args(rendered, "mde-repo-pkgrepo-managed")
    assert args["name"].endswith("https://packages.microsoft.com/debian/13/prod trixie main")
    _, _, key = state_args(rendered, "mde-repo-key-trusted")
    assert key["keys"] == [
        {
            "name": "microsoft-2025.asc",
            "url": "https://packages.microsoft.com/keys/microsoft-2025.asc",
            "fingerprint": "AA86F75E427A19DD33346403EE4D7792F748182B",
        }
    ]


def test_mirror_and_trusted_repository(render):
    identity = {"os": "debian", "version": "12", "arch": "x86_64"}
    mirrored = render(identity, repo={"url": "http://mirror.internal/pmc/"})
    _, _, args = state_args(mirrored, "mde-repo-pkgrepo-managed")
    assert args["name"] == (
        f"deb [arch=amd64 signed-by={OWN_KEYRING}] "
        "http://mirror.internal/pmc/debian/12/prod bookworm main"
    )
    _, _, key = state_args(mirrored, "mde-repo-key-trusted")
    assert key["keys"][0]["url"] == "http://mirror.internal/pmc/keys/microsoft.asc"
    trusted = render(identity, repo={"url": "http://mirror.internal/pmc", "trusted": True})
    _, _, args = state_args(trusted, "mde-repo-pkgrepo-managed")
    assert "[arch=amd64 trusted=yes]" in args["name"]
    assert "mde-repo-key-trusted" not in trusted


def test_systemd_waiver_skips_the_service_with_a_comment(render):
    identity = {"os": "debian", "version": "12", "arch": "x86_64"}
    rendered = render(identity, ignore={"systemd": "image build"})
    module, function, args = state_args(rendered, "mde-install-service-running")
    assert (module, function) == ("test", "succeed_without_changes")
    assert "systemd is waived (image build)" in args["comment"]
    without = render(identity)
    module, function, args = state_args(without, "mde-install-service-running")
    assert (module, function, args["enable"]) == ("service", "running", True)


def test_systemd_waiver_writes_the_blob_without_waiting_for_licensed(render):
    """No daemon without systemd, and the CLI can't answer without it: the blob is written and
    the comment says the device onboards at first boot."""
    identity = {"os": "debian", "version": "12", "arch": "x86_64"}
    onboarding = {"contents": '{"onboardingInfo": "x"}'}
    rendered = render(identity, ignore={"systemd": "image build"}, onboarding=onboarding)
    module, function, args = state_args(rendered, "mde-onboard-licensed")
    assert (module, function) == ("test", "succeed_without_changes")
    assert "systemd is waived (image build)" in args["comment"]
    assert "onboards when mdatp first starts (at first boot)" in args["comment"]
    assert state_args(rendered, "mde-onboard-json-managed")[1] == "managed"
    without = render(identity, onboarding=onboarding)
    module, function, args = state_args(without, "mde-onboard-licensed")
    assert (module, function) == ("mdeprereq", "licensed")


def test_config_restarts_only_through_the_managed_state(render):
    """No watch_in on the service: a managed-settings change restarts nothing by itself (most
    apply live); the state restarts mdatp for the few listed settings, never without systemd."""
    identity = {"os": "debian", "version": "12", "arch": "x86_64"}
    rendered = render(identity, managed={"edr": {"tags": []}})
    module, function, args = state_args(rendered, "mde-config-managed")
    assert (module, function, args["restart"]) == ("mdeprereq", "managed", "mdatp")
    assert "watch_in" not in repr(rendered["mde-config-managed"])
    service = repr(rendered["mde-install-service-running"])
    assert "mde-config-managed" not in service
    waived = render(identity, managed={"edr": {"tags": []}}, ignore={"systemd": "image"})
    _, _, args = state_args(waived, "mde-config-managed")
    assert "restart" not in args


def test_onboarding_contents_never_appear_in_the_rendered_states(render):
    secret = '{"onboardingInfo": "SECRET-BLOB-42"}'
    rendered = render(
        {"os": "debian", "version": "12", "arch": "x86_64"}, onboarding={"contents": secret}
    )
    assert "SECRET-BLOB-42" not in repr(rendered)
    _, function, args = state_args(rendered, "mde-onboard-json-managed")
    assert function == "managed"
    assert args["contents_pillar"] == "mdeprereq:onboarding:contents"
    assert (args["mode"], args["show_changes"]) == ("0600", False)


def test_every_state_id_follows_the_formula_convention(render):
    rendered = render({"os": "debian", "version": "12", "arch": "x86_64"}, user={"uid": 1500})
    assert all(state_id.startswith("mde-") for state_id in rendered)
    assert "mde-prereqs-user-present" in rendered


def test_the_early_refusal_follows_the_distro_check(render):
    # the distro check reads this machine; the gate passes (or warns) and says what it saw
    rendered = render({"os": "debian", "version": "12", "arch": "x86_64"})
    module, function, args = state_args(rendered, "mde-prereqs-supported")
    assert module == "test"
    if function == "fail_without_changes":
        assert "Fix: " in args["comment"]
    else:
        assert function == "succeed_without_changes"
    # every fixing state (mde.fixes) requires the gate: an sls requisite since issue #18
    assert args["require_in"] == [{"sls": "mde.fixes"}]
    assert rendered["mde-prereqs-isolation-tools-installed"]["__sls__"] == "mde.fixes"
    # a distro check that fails (mdeprereq:support narrowed to nothing) stops before any change
    narrowed = {os_id: {"x86_64": [], "aarch64": []} for os_id in SUPPORT_ROWS}
    rendered = render({"os": "debian", "version": "12", "arch": "x86_64"}, support=narrowed)
    module, function, args = state_args(rendered, "mde-prereqs-supported")
    assert (module, function) == ("test", "fail_without_changes")
    assert "mdeprereq:support" in args["comment"]


SUPPORT_ROWS = (
    "rhel centos centos-stream ubuntu ubuntu-pro debian sles opensuse-leap ol amzn fedora "
    "rocky almalinux mariner"
).split()


def test_isolation_tools_are_a_fixing_state_of_mde_prereqs(render):
    rendered = render({"os": "debian", "version": "12", "arch": "x86_64"})
    module, function, args = state_args(rendered, "mde-prereqs-isolation-tools-installed")
    assert (module, function) == ("mdeprereq", "isolation_tools_installed")
    assert args["name"] == "isolation-tools"
    _, _, satisfied = state_args(rendered, "mde-prereqs-satisfied")
    # the fixing states as one sls (issue #18); the isolation tools' state is one of them
    assert {"sls": "mde.fixes"} in satisfied["require"]
    assert rendered["mde-prereqs-isolation-tools-installed"]["__sls__"] == "mde.fixes"


DERIVED_MINT = {
    "os": "linuxmint",
    "version": "22.1",
    "arch": "x86_64",
    "support_level": "derived",
    "derived_from": ["ubuntu", "debian"],
}


def test_a_derived_system_without_base_distro_is_refused_with_the_reason(render):
    rendered = render(DERIVED_MINT)
    for state_id in ("mde-prereqs-supported", "mde-repo-pkgrepo-managed"):
        module, function, args = state_args(rendered, state_id)
        assert (module, function) == ("test", "fail_without_changes")
        assert "linuxmint 22.1 is derived from ubuntu, debian" in args["comment"]
        assert "mdeprereq:repo:base_distro" in args["comment"]


def test_a_derived_system_gets_the_repository_of_its_named_base(render):
    rendered = render(DERIVED_MINT, repo={"base_distro": "ubuntu 24.04"})
    module, function, args = state_args(rendered, "mde-repo-pkgrepo-managed")
    assert (module, function) == ("pkgrepo", "managed")
    assert args["name"] == (
        "deb [arch=amd64 signed-by=/usr/share/keyrings/mdeprereq-microsoft.gpg] "
        "https://packages.microsoft.com/ubuntu/24.04/prod noble main"
    )


def test_base_distro_must_be_listed_itself(render):
    rendered = render(DERIVED_MINT, repo={"base_distro": "ubuntu 25.10"})
    module, function, args = state_args(rendered, "mde-repo-pkgrepo-managed")
    assert (module, function) == ("test", "fail_without_changes")
    assert "25.10 on x86_64 is not a supported version" in args["comment"]


def test_base_distro_is_ignored_on_a_listed_system(render):
    rendered = render(
        {"os": "debian", "version": "12", "arch": "x86_64", "support_level": "listed"},
        repo={"base_distro": "ubuntu 24.04"},
    )
    _, _, args = state_args(rendered, "mde-repo-pkgrepo-managed")
    assert "/debian/12/prod bookworm main" in args["name"]


@pytest.fixture
def support_level(monkeypatch):
    """Give the distro check (which reads this machine) the verdict a test needs: the engine's
    check, as mdeprereq.support_level runs it, is replaced for the test."""
    from mdeprereq_engine import checks

    def use(verdict):
        def fake_check(host, settings):
            return {
                "status": verdict["status"],
                "message": verdict["message"],
                "remediation": verdict["remediation"],
                "fixable": False,
                "facts": {"level": verdict["level"]},
            }

        monkeypatch.setitem(checks.CHECKS, "distro", fake_check)

    return use


def test_a_warning_goes_on_and_says_so(render, support_level):
    message = "Ubuntu 24.04 is a workstation/desktop edition (package ubuntu-desktop is installed)"
    support_level({"level": "desktop", "status": "warn", "message": message, "remediation": None})
    rendered = render({"os": "ubuntu", "version": "24.04", "arch": "x86_64"})
    module, function, args = state_args(rendered, "mde-prereqs-supported")
    assert (module, function) == ("test", "succeed_without_changes")
    assert args["comment"] == f"Going on with a warning (desktop): {message}"
    _, function, _ = state_args(rendered, "mde-repo-pkgrepo-managed")
    assert function == "managed"


def test_a_failure_stops_before_any_change(render, support_level):
    support_level(
        {
            "level": "derived",
            "status": "fail",
            "message": "AcmeOS 9.4 is not on Microsoft's list, but derived from rhel",
            "remediation": "mdeprereq:derived is fail: ...",
        }
    )
    rendered = render({"os": "rhel", "version": "9.4", "arch": "x86_64"})
    module, function, args = state_args(rendered, "mde-prereqs-supported")
    assert (module, function) == ("test", "fail_without_changes")
    assert args["comment"].startswith("AcmeOS 9.4 is not on Microsoft's list")
    assert "Fix: mdeprereq:derived is fail" in args["comment"]
    # every fixing state requires the refusal, so none of them runs: all of mde.fixes (an sls
    # requisite since issue #18; test_formula_structure.py runs it), here three states
    assert args["require_in"] == [{"sls": "mde.fixes"}]
    fixing = [body for body in rendered.values() if body.get("__sls__") == "mde.fixes"]
    assert len(fixing) == 3  # dependencies, passive mode, isolation tools


@pytest.mark.parametrize(
    ("identity", "support", "keys"),
    [
        (
            {"os": "rhel", "version": "10.0", "arch": "x86_64"},
            {"rhel": {"x86_64": ["==10.*"]}},
            ["microsoft-2025.asc"],
        ),
        (
            {"os": "ubuntu", "version": "26.04", "arch": "x86_64"},
            {"ubuntu": {"x86_64": ["==26.04"]}},
            ["microsoft.asc", "microsoft-2025.asc"],
        ),
    ],
)
def test_new_releases_get_the_2025_key_and_uncertain_ones_both(render, identity, support, keys):
    rendered = render(identity, support=support)
    _, _, args = state_args(rendered, "mde-repo-pkgrepo-managed")
    if identity["os"] == "rhel":
        assert args["baseurl"] == "https://packages.microsoft.com/rhel/10/prod/"
        assert args["gpgkey"] == " ".join(f"file:///etc/pki/rpm-gpg/mdeprereq-{k}" for k in keys)
        for key in keys:
            _, function, state = state_args(rendered, f"mde-repo-key-trusted-{key}")
            assert function == "key_trusted"
            assert state["name"] == f"/etc/pki/rpm-gpg/mdeprereq-{key}"
    else:
        _, _, state = state_args(rendered, "mde-repo-key-trusted")
        assert [key["name"] for key in state["keys"]] == keys


def test_a_mirrors_own_fingerprint_replaces_microsofts(render):
    own = "0123456789ABCDEF0123456789ABCDEF01234567"
    rendered = render(
        {"os": "debian", "version": "12", "arch": "x86_64"},
        repo={"url": "http://mirror.internal/pmc", "fingerprints": {"microsoft.asc": own}},
    )
    _, _, key = state_args(rendered, "mde-repo-key-trusted")
    assert key["keys"][0]["fingerprint"] == own


def test_the_record_lists_the_formulas_own_files(render):
    rendered = render({"os": "debian", "version": "12", "arch": "x86_64"}, channel="insiders-fast")
    module, function, record = state_args(rendered, "mde-repo-record-managed")
    assert (module, function) == ("file", "serialize")
    assert record["name"] == "/var/lib/mdeprereq/repository.json"
    assert record["dataset"]["files"] == [
        "/etc/apt/sources.list.d/mdeprereq-microsoft-insiders-fast.list",
        OWN_KEYRING,
    ]


@pytest.mark.parametrize("channel", CHANNELS)
def test_install_keeps_the_installed_channel_first(render, channel):
    rendered = render(RELEASES["debian-12"][0], channel=channel)
    module, function, args = state_args(rendered, "mde-install-channel-kept")
    assert (module, function, args["name"]) == ("mdeprereq", "channel_kept", channel)
    assert {"pkg": "mde-install-pkg-installed"} in args["require_in"]


def test_the_remediation_keeps_the_agent_running(loaders):
    rendered = loaders.modules.state.show_sls("mde.remediate")
    module, function, args = state_args(rendered, "mde-agent-running")
    assert (module, function, args["name"]) == ("mdeprereq", "agent_running", "mdatp")


@pytest.mark.parametrize(
    ("identity", "keys"),
    [
        ({"os": "rocky", "version": "9.4", "arch": "x86_64"}, ["microsoft.asc"]),
        ({"os": "sles", "version": "15.6", "arch": "x86_64"}, ["microsoft.asc"]),
        ({"os": "rhel", "version": "10.0", "arch": "x86_64"}, ["microsoft-2025.asc"]),
        ({"os": "debian", "version": "12", "arch": "x86_64"}, []),
    ],
)
def test_remove_drops_each_rpm_key_by_its_checked_fingerprint(loaders, identity, keys):
    """mde.remove's rpm key states take the key and fingerprint from mdeprereq.repository (the
    one setting, mdeprereq:repo:fingerprints), after the package and the formula's own files;
    apt's keyring is one of those files, so Debian has none."""
    own = "0123456789ABCDEF0123456789ABCDEF01234567"
    saved = dict(loaders.opts["grains"].get("mde") or {})
    loaders.opts["grains"]["mde"] = {**identity, "supported": True}
    try:
        rendered = (
            loaders.modules.state.show_sls(
                "mde.remove", pillar={"mdeprereq": {"repo": {"fingerprints": {keys[-1]: own}}}}
            )
            if keys
            else loaders.modules.state.show_sls("mde.remove")
        )
    finally:
        loaders.opts["grains"]["mde"] = saved
    assert isinstance(rendered, dict), rendered
    found = sorted(sid for sid in rendered if sid.startswith("mde-remove-rpm-key-absent-"))
    assert found == [f"mde-remove-rpm-key-absent-{key}" for key in keys]
    for key in keys:
        module, function, args = state_args(rendered, f"mde-remove-rpm-key-absent-{key}")
        assert (module, function) == ("mdeprereq", "rpm_key_absent")
        assert args["name"] == f"https://packages.microsoft.com/keys/{key}"
        assert args["fingerprint"] == own
        assert args["references"] == [args["name"], f"/etc/pki/rpm-gpg/mdeprereq-{key}"]
        assert {"pkg": "mde-remove-pkg-purged"} in args["require"]
        assert {"file": "mde-remove-repo-record-absent"} in args["require"]
