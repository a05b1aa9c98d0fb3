"""One reading of the settings (issue #18 item 5): the execution module's checks and states and
the mde formula's map.jinja see the same ``mdeprereq:`` tree, every source merged key by key with
pillar over the minion config over the defaults. Before, the module took each key from the first
source that had it (the minion config) while the formula merged the whole tree, so with
``ignore`` split between the two they disagreed on which checks were waived."""

import pytest
from salt.exceptions import SaltInvocationError

from tests.functional.test_formula_render import state_args


def with_pillar(modules, settings, *states):
    """Run ``states`` (state IDs -> high data) with ``mdeprereq: settings`` as the pillar the
    loaded modules and states see (Salt's own pillar override, as ``state.apply pillar=...``);
    return ``{state ID: its return}``."""
    high = {
        state_id: {**body, "__sls__": "settings-sources", "__env__": "base"}
        for state_id, body in states
    }
    ran = modules.state.high(high, pillar={"mdeprereq": settings})
    return {state_id: ran[state_id] for state_id, _ in states}


def calling(function):
    """The high data of a ``module.run`` of ``function``, its return in ``changes``."""
    return function, {"module": ["run", {function: []}]}


SATISFIED = ("mdatp", {"mdeprereq": ["satisfied"]})


def failing(modules):
    return [
        check_id
        for check_id, entry in modules.mdeprereq.check()["checks"].items()
        if entry["status"] == "fail"
    ]


def test_ignore_split_between_minion_config_and_pillar(loaders, modules, configure):
    # the distro check fails for sure: Debian taken out of the support matrix (minion config)
    configure(support={"debian": {"x86_64": [], "aarch64": []}}, ignore={"kernel": "from config"})
    blocking = [check_id for check_id in failing(modules) if check_id != "kernel"]
    assert "distro" in blocking
    # the failing checks and systemd waived in pillar, kernel in the minion config
    from_pillar = {check_id: f"{check_id} waived in pillar" for check_id in blocking}
    from_pillar["systemd"] = "image build"
    pillar = {"ignore": from_pillar}

    ran = with_pillar(
        modules, pillar, calling("mdeprereq.settings"), calling("mdeprereq.configured"), SATISFIED
    )
    expected = {"kernel": "from config", **from_pillar}
    assert ran["mdeprereq.settings"].changes["mdeprereq.settings"]["ignore"] == expected
    assert ran["mdeprereq.configured"].changes["mdeprereq.configured"]["ignore"] == expected
    # mdeprereq.satisfied waives the same checks, each with its reason from its own source
    satisfied = ran["mdatp"]
    assert satisfied.result is True, satisfied.comment
    for check_id in blocking:
        assert f"{check_id}: waived ({from_pillar[check_id]})" in satisfied.comment

    # the formula: systemd waived (the service is not started), as the module says
    rendered = loaders.modules.state.show_sls("mde.install", pillar={"mdeprereq": pillar})
    assert isinstance(rendered, dict), rendered
    module, function, args = state_args(rendered, "mde-install-service-running")
    assert (module, function) == ("test", "succeed_without_changes")
    assert "systemd is waived (image build)" in args["comment"]


def test_pillar_wins_over_the_minion_config_key_by_key(loaders, modules, configure):
    configure(
        ignore={"systemd": "from the minion config", "kernel": "kept"},
        connectivity={"timeout": 7, "urls": ["https://config.example/"]},
        channel="insiders-slow",
    )
    pillar = {"ignore": {"systemd": "from pillar"}, "connectivity": {"timeout": 9}}
    ran = with_pillar(modules, pillar, calling("mdeprereq.settings"))
    assert ran["mdeprereq.settings"].result is True, ran["mdeprereq.settings"].comment
    settings = ran["mdeprereq.settings"].changes["mdeprereq.settings"]
    assert settings["ignore"] == {"systemd": "from pillar", "kernel": "kept"}
    assert settings["connectivity_timeout"] == 9.0
    assert settings["connectivity_urls"] == ["https://config.example/"]
    assert settings["channel"] == "insiders-slow"

    rendered = loaders.modules.state.show_sls("mde.install", pillar={"mdeprereq": pillar})
    _, _, args = state_args(rendered, "mde-install-service-running")
    assert "systemd is waived (from pillar)" in args["comment"]


def test_configured_masks_secrets_and_names_a_bad_key(modules, configure):
    configure(proxy="http://user:s3cret@proxy.example:3128")
    pillar = {"onboarding": {"contents": '{"onboardingInfo": "blob"}'}}
    ran = with_pillar(modules, pillar, calling("mdeprereq.configured"))
    tree = ran["mdeprereq.configured"].changes["mdeprereq.configured"]
    assert "s3cret" not in repr(tree)
    assert "blob" not in repr(tree)
    assert tree["proxy"].endswith("@proxy.example:3128")
    assert tree["onboarding"] == {"contents": "<hidden>"}

    configure(ignore={"sytemd": "typo"})
    with pytest.raises(SaltInvocationError, match="sytemd"):
        modules.mdeprereq.configured()
