"""The engine's one exception hierarchy (issue #18 item 6): every error it raises on purpose is a
``MdeprereqError`` (still a ``ValueError``, as each was before); one ``SettingsError``."""

import ast
import pathlib

import pytest

from mdeprereq_engine import (
    checks,
    health,
    keys,
    managed,
    probe,
    proxy,
    proxyconf,
    regression,
    remediation,
    repos,
    settings,
)
from mdeprereq_engine.errors import MdeprereqError, SettingsError

ENGINE = pathlib.Path(__file__).resolve().parents[2] / "_utils" / "mdeprereq_engine"
PRIVATE = {"_ProbeFailure"}  # probe's internal signal, never leaves the module


@pytest.mark.parametrize(
    "error",
    [
        settings.SettingsError,
        remediation.SettingsError,
        remediation.InvalidEvent,
        regression.BeaconConfigError,
        health.HealthParseError,
        proxy.ProxyURLError,
        proxy.PacProxyError,
        proxy.WpadProxyError,
        proxy.AuthenticatedProxyError,
        proxy.InvalidProxyURLError,
        probe.RootsError,
        managed.ManagedJsonError,
        managed.ManagedJsonMissingError,
        managed.ManagedJsonUnreadableError,
        managed.ManagedJsonInvalidError,
        managed.ManagedJsonNotObjectError,
        repos.RepositoryError,
        checks.UnknownCheckError,
        keys.KeyVerificationError,
        proxyconf.UnknownPackageManagerError,
    ],
)
def test_every_engine_error_derives_from_the_one_base(error):
    assert issubclass(error, MdeprereqError)
    assert issubclass(error, ValueError)  # what callers caught before


def test_one_settings_error_class():
    assert settings.SettingsError is SettingsError is remediation.SettingsError
    with pytest.raises(MdeprereqError, match="mdeprereq:remediation:max_attempts"):
        remediation.RemediationSettings.from_raw({"max_attempts": "many"})
    with pytest.raises(MdeprereqError, match="mdeprereq:ignore"):
        settings.waivers(["no-such-check"])


def test_no_engine_module_defines_an_exception_outside_the_hierarchy():
    """An exception class defined anywhere in the engine derives from MdeprereqError or from
    one that does (so a new one can't silently start a second hierarchy)."""
    known = {"MdeprereqError"}
    defined = {}
    for path in sorted(ENGINE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = [base.id for base in node.bases if isinstance(base, ast.Name)]
                if any(base.endswith(("Error", "Exception")) for base in bases) or (
                    node.name.endswith(("Error", "Event"))
                ):
                    defined[f"{path.name}:{node.name}"] = (node.name, bases)
    changed = True
    while changed:
        changed = False
        for name, bases in defined.values():
            if name not in known and any(base in known for base in bases):
                known.add(name)
                changed = True
    outside = [where for where, (name, _) in defined.items() if name not in known | PRIVATE]
    assert outside == []
