"""One reading of the settings (issue #18 item 5): the execution module's checks and states and
the mde formula's map.jinja see the same ``mdeprereq:`` tree, every source merged key by key with
pillar over the minion config over the defaults. Before, the module took each key from the first
source that had it (the minion config) while the formula merged the whole tree, so with
``ignore`` split between the two they disagreed on which checks were waived."""

import pytest

from tests.functional.test_formula_render import state_args


@pytest.fixture
def pillar(loaders):
    """``pillar(**settings)`` sets ``mdeprereq:`` in the pillar the loaded modules and states
    see (``loaders.opts["pillar"]``, Salt's ``__pillar__``); returns it for ``state.show_sls``."""

    def apply(**settings):
        loaders.opts["pillar"]["mdeprereq"] = settings
        return {"mdeprereq": settings}

    try:
        yield apply
    finally:
        loaders.opts["pillar"].pop("mdeprereq", None)


def failing(modules):
    return [
        check_id
        for check_id, entry in modules.mdeprereq.check()["checks"].items()
        if entry["status"] == "fail"
    ]


def test_ignore_split_between_minion_config_and_pillar(loaders, modules, configure, pillar):
    # the distro check fails for sure: Debian taken out of the support matrix (minion config)
    configure(support={"debian": {"x86_64": [], "aarch64": []}}, ignore={"kernel": "from config"})
    blocking = [check_id for check_id in failing(modules) if check_id != "kernel"]
    assert "distro" in blocking
    # the failing checks and systemd waived in pillar, kernel in the minion config
    from_pillar = {check_id: f"{check_id} waived in pillar" for check_id in blocking}
    from_pillar["systemd"] = "image build"
    override = pillar(ignore=from_pillar)

    expected = {"kernel": "from config", **from_pillar}
    assert modules.mdeprereq.settings()["ignore"] == expected
    assert modules.mdeprereq.configured()["ignore"] == expected

    # the formula: systemd waived (the service is not started), as the module says
    rendered = loaders.modules.state.show_sls("mde.install", pillar=override)
    assert isinstance(rendered, dict), rendered
    module, function, args = state_args(rendered, "mde-install-service-running")
    assert (module, function) == ("test", "succeed_without_changes")
    assert "systemd is waived (image build)" in args["comment"]

    # mdeprereq.satisfied waives the same checks, each with its reason from its own source
    ret = loaders.states.mdeprereq.satisfied(name="mdatp")
    assert ret.result is True, ret.comment
    for check_id in blocking:
        assert f"{check_id}: waived ({from_pillar[check_id]})" in ret.comment


def test_pillar_wins_over_the_minion_config_key_by_key(loaders, modules, configure, pillar):
    configure(
        ignore={"systemd": "from the minion config", "kernel": "kept"},
        connectivity={"timeout": 7, "urls": ["https://config.example/"]},
        channel="insiders-slow",
    )
    override = pillar(ignore={"systemd": "from pillar"}, connectivity={"timeout": 9})
    settings = modules.mdeprereq.settings()
    assert settings["ignore"] == {"systemd": "from pillar", "kernel": "kept"}
    assert settings["connectivity_timeout"] == 9.0
    assert settings["connectivity_urls"] == ["https://config.example/"]
    assert settings["channel"] == "insiders-slow"

    rendered = loaders.modules.state.show_sls("mde.install", pillar=override)
    _, _, args = state_args(rendered, "mde-install-service-running")
    assert "systemd is waived (from pillar)" in args["comment"]


def test_configured_masks_secrets_and_names_a_bad_key(modules, configure, pillar):
    configure(proxy="http://user:s3cret@proxy.example:3128")
    pillar(onboarding={"contents": '{"onboardingInfo": "blob"}'})
    tree = modules.mdeprereq.configured()
    assert "s3cret" not in repr(tree)
    assert "blob" not in repr(tree)
    assert tree["proxy"].endswith("@proxy.example:3128")
    assert tree["onboarding"] == {"contents": "<hidden>"}

    pillar(ignore={"sytemd": "typo"})
    with pytest.raises(Exception, match="sytemd"):
        modules.mdeprereq.configured()
