"""One error model (issue #18 item 6): the execution module raises ``SaltInvocationError`` for a
bad argument or setting and ``CommandExecutionError`` for a failure, each ``from`` the engine's
``MdeprereqError``; a bad argument is still the ``CommandExecutionError`` it was before. The
states turn either into a failed state naming what was wrong."""

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from mdeprereq_engine.errors import MdeprereqError


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda m: m.mdeprereq.check(checks="distro,nope"), "nope"),
        (lambda m: m.mdeprereq.waivers(["sytemd"]), "sytemd"),
        (lambda m: m.mdeprereq.set_managed(["not", "a", "mapping"]), "updates must map"),
        (lambda m: m.mdeprereq.configure_proxy("pac://proxy.example/wpad.dat"), "Refusing"),
        (lambda m: m.mdeprereq.trust_key("/etc/passwd", []), "not one of the formula's own"),
    ],
)
def test_a_bad_argument_is_a_salt_invocation_error(modules, call, named):
    with pytest.raises(SaltInvocationError, match=named) as raised:
        call(modules)
    assert isinstance(raised.value, CommandExecutionError)  # as before this issue


def test_a_bad_setting_is_a_salt_invocation_error_from_the_engine_error(modules, configure):
    configure(ignore=["sytemd"])
    with pytest.raises(SaltInvocationError, match="mdeprereq:ignore") as raised:
        modules.mdeprereq.check()
    assert isinstance(raised.value.__cause__, MdeprereqError)


def test_a_state_fails_naming_a_bad_setting(loaders, configure):
    configure(ignore=["sytemd"])
    ret = loaders.states.mdeprereq.satisfied(name="mdatp")
    assert ret.result is False
    assert "sytemd" in ret.comment
    assert ret.changes == {}
