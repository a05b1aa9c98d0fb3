"""The agent states through Salt's loader on this machine, where mdatp is not installed (the
stand-in runs them in tests/integration/test_agent_fleet.py)."""

import os

import pytest

pytestmark = pytest.mark.skipif(
    os.path.exists("/opt/microsoft/mdatp/sbin/wdavdaemon"),
    reason="mdatp (or its stand-in) is installed on this machine",
)


def test_agent_running_without_mdatp_has_nothing_to_run(loaders):
    ret = loaders.states.mdeprereq.agent_running(name="mdatp")
    assert ret.result is True, ret
    assert ret.changes == {}
    assert ret.comment.startswith("Nothing to run: mdatp is not installed")


def test_channel_kept_without_mdatp(loaders):
    ret = loaders.states.mdeprereq.channel_kept(name="insiders-fast")
    assert ret.result is True, ret
    assert ret.comment == "mdatp is not installed: it will come from channel insiders-fast"


def test_agent_functions_skip_without_mdatp(modules):
    for function in ("agent_service", "agent_health", "agent_version", "agent_definitions"):
        entry = getattr(modules.mdeprereq, function)()
        assert entry["status"] == "skip", (function, entry)
    assert modules.mdeprereq.agent_definitions(max_age_hours=2)["status"] == "skip"
