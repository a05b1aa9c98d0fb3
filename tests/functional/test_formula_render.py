"""The mde formula rendered (state.show_sls) for every supported family and channel: the
repository and package data each would apply. Nothing is applied."""

import pytest

CHANNELS = ("prod", "insiders-fast", "insiders-slow")

# (mde grain identity, expected repository state, expected pinned version for 101.25042.0003)
RELEASES = {
    "debian-12": (
        {"os": "debian", "version": "12", "arch": "x86_64"},
        {
            "pkgrepo": "managed",
            "name": "deb [arch=amd64 signed-by=/usr/share/keyrings/microsoft-prod.gpg] "
            "https://packages.microsoft.com/debian/12/{channel} bookworm main",
            "file": "/etc/apt/sources.list.d/microsoft-prod.list",
            "key_url": "https://packages.microsoft.com/keys/microsoft.asc",
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
            "name": "deb [arch=arm64 signed-by=/etc/apt/trusted.gpg.d/microsoft-prod.gpg] "
            "https://packages.microsoft.com/debian/11/{channel} bullseye main",
        },
        None,
    ),
    "ubuntu-24.04": (
        {"os": "ubuntu", "version": "24.04", "arch": "x86_64"},
        {
            "pkgrepo": "managed",
            "name": "deb [arch=amd64 signed-by=/usr/share/keyrings/microsoft-prod.gpg] "
            "https://packages.microsoft.com/ubuntu/24.04/{channel} noble main",
        },
        None,
    ),
    "ubuntu-20.04": (
        {"os": "ubuntu", "version": "20.04", "arch": "x86_64"},
        {
            "pkgrepo": "managed",
            "name": "deb [arch=amd64 signed-by=/etc/apt/trusted.gpg.d/microsoft-prod.gpg] "
            "https://packages.microsoft.com/ubuntu/20.04/{channel} focal main",
        },
        None,
    ),
    "rhel-7.9": (
        {"os": "rhel", "version": "7.9", "arch": "x86_64"},
        {
            "pkgrepo": "managed",
            "baseurl": "https://packages.microsoft.com/rhel/7.2/{channel}/",
            "gpgcheck": 1,
            "gpgkey": "https://packages.microsoft.com/keys/microsoft.asc",
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
        {"pkgrepo": "managed", "baseurl": "https://packages.microsoft.com/rhel/7.2/{channel}/"},
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
        {"pkgrepo": "managed", "baseurl": "https://packages.microsoft.com/fedora/40/{channel}/"},
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


def state_args(rendered, state_id):
    """``(module, function, {arg: value})`` of one state in state.show_sls's output."""
    body = rendered[state_id]
    module = next(key for key in body if not key.startswith("__"))
    args, function = {}, None
    for item in body[module]:
        if isinstance(item, dict):
            args.update(item)
        else:
            function = item
    return module, function, args


@pytest.fixture
def render(loaders):
    def show(identity, **settings):
        saved = dict(loaders.opts["grains"].get("mde") or {})
        loaders.opts["grains"]["mde"] = {**identity, "supported": True}
        try:
            return loaders.modules.state.show_sls("mde", pillar={"mdeprereq": settings})
        finally:
            loaders.opts["grains"]["mde"] = saved

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
        wanted = value.format(channel=channel) if isinstance(value, str) else value
        assert args[key] == wanted, (key, args)
    assert {"mdeprereq": "mde-prereqs-satisfied"} in args["require"]
    _, _, package = state_args(rendered, "mde-install-pkg-installed")
    assert package["name"] == "mdatp"
    if pins:
        assert package["version"] == pins[channel]


def test_sles_imports_the_checked_key_and_refuses_unsigned_packages(render):
    """zypper trusts no gpgkey Salt could set and would auto-import any key the mirror serves:
    the key is fingerprint-checked and imported first, and the repository made strict
    (pkg_gpgcheck=1), as tests/rpm shows the real zypper needs."""
    rendered = render({"os": "sles", "version": "15.6", "arch": "x86_64"})
    _, _, repo = state_args(rendered, "mde-repo-pkgrepo-managed")
    assert "gpgautoimport" not in repo and "gpgkey" not in repo
    assert {"mdeprereq": "mde-repo-key-imported"} in repo["require"]
    module, function, key = state_args(rendered, "mde-repo-key-imported")
    assert (module, function) == ("mdeprereq", "rpm_key_imported")
    assert key["name"] == "https://packages.microsoft.com/keys/microsoft.asc"
    module, function, strict = state_args(rendered, "mde-repo-gpgcheck-strict")
    assert (module, function) == ("cmd", "run")
    assert "--gpgcheck-strict packages-microsoft-com-prod" in strict["name"]
    _, _, package = state_args(rendered, "mde-install-pkg-installed")
    assert "mde-repo-gpgcheck-strict" in package["require"]


@pytest.mark.parametrize("channel", ("prod", "insiders-slow"))
def test_mariner_uses_its_own_repository_packages(render, channel):
    rendered = render({"os": "mariner", "version": "2.0", "arch": "x86_64"}, channel=channel)
    module, function, args = state_args(rendered, "mde-repo-pkgrepo-managed")
    assert (module, function) == ("pkg", "installed")
    expected = "mariner-repos-extras" if channel == "prod" else "mariner-repos-extras-preview"
    assert args["pkgs"] == [expected]


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
        ({"os": "centos-stream", "version": "9", "arch": "x86_64"}, "not on Microsoft's list"),
        ({"os": "rocky", "version": "9.2", "arch": "aarch64"}, "not supported on aarch64"),
        ({"os": "debian", "version": "13", "arch": "x86_64"}, "not a supported version"),
    ],
)
def test_unsupported_release_is_refused_not_mapped(render, identity, reason):
    rendered = render(identity)
    for state_id in ("mde-prereqs-supported", "mde-repo-pkgrepo-managed"):
        module, function, args = state_args(rendered, state_id)
        assert (module, function) == ("test", "fail_without_changes")
        assert reason in args["comment"]


def test_settings_widen_support_and_pick_the_2025_key(render):
    rendered = render(
        {"os": "debian", "version": "13", "arch": "x86_64"},
        support={"debian": {"x86_64": ["==12.*", "==13.*"]}},
    )
    _, _, args = state_args(rendered, "mde-repo-pkgrepo-managed")
    assert args["name"].endswith("https://packages.microsoft.com/debian/13/prod trixie main")
    assert args["key_url"] == "https://packages.microsoft.com/keys/microsoft-2025.asc"


def test_mirror_and_trusted_repository(render):
    identity = {"os": "debian", "version": "12", "arch": "x86_64"}
    mirrored = render(identity, repo={"url": "http://mirror.internal/pmc/"})
    _, _, args = state_args(mirrored, "mde-repo-pkgrepo-managed")
    assert args["name"] == (
        "deb [arch=amd64 signed-by=/usr/share/keyrings/microsoft-prod.gpg] "
        "http://mirror.internal/pmc/debian/12/prod bookworm main"
    )
    assert args["key_url"] == "http://mirror.internal/pmc/keys/microsoft.asc"
    trusted = render(identity, repo={"url": "http://mirror.internal/pmc", "trusted": True})
    _, _, args = state_args(trusted, "mde-repo-pkgrepo-managed")
    assert "[arch=amd64 trusted=yes]" in args["name"]
    assert "key_url" not in args


def test_systemd_waiver_skips_the_service_with_a_comment(render):
    identity = {"os": "debian", "version": "12", "arch": "x86_64"}
    rendered = render(identity, ignore={"systemd": "image build"})
    module, function, args = state_args(rendered, "mde-install-service-running")
    assert (module, function) == ("test", "succeed_without_changes")
    assert "systemd is waived (image build)" in args["comment"]
    without = render(identity)
    module, function, args = state_args(without, "mde-install-service-running")
    assert (module, function, args["enable"]) == ("service", "running", True)


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
