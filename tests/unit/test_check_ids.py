"""checks.parse_ids: the one parser of check-ID lists, and its callers' errors and messages."""

import pytest

from mdeprereq_engine import checks, regression, settings
from mdeprereq_engine.errors import SettingsError

KNOWN = ", ".join(checks.CHECKS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, [], id="none"),
        pytest.param("", [], id="empty-string"),
        pytest.param([], [], id="empty-list"),
        pytest.param("disk", ["disk"], id="one"),
        pytest.param(" disk , kernel,,", ["disk", "kernel"], id="comma-string-spaces"),
        pytest.param(["kernel", "disk"], ["kernel", "disk"], id="list-keeps-order"),
        pytest.param(("kernel", " disk "), ["kernel", "disk"], id="tuple-stripped"),
        pytest.param("disk,kernel,disk", ["disk", "kernel"], id="repeats-once"),
        pytest.param(",", [], id="only-separators"),
    ],
)
def test_parse_ids(value, expected):
    assert checks.parse_ids(value) == expected


def test_parse_ids_unknown_names_key_and_known():
    with pytest.raises(SettingsError) as caught:
        checks.parse_ids("disk,nope,Kernel", "mdeprereq:ignore", SettingsError)
    assert str(caught.value) == f"mdeprereq:ignore: unknown check(s) nope, Kernel; known: {KNOWN}"


def test_parse_ids_unknown_without_key():
    with pytest.raises(checks.UnknownCheckError) as caught:
        checks.parse_ids(["nope"])
    assert str(caught.value) == f"unknown check(s): nope; known: {KNOWN}"


@pytest.mark.parametrize("value", [5, {"disk": "x"}, 1.5, True])
def test_parse_ids_refuses_other_types(value):
    with pytest.raises(checks.UnknownCheckError, match="checks must be a list of check IDs"):
        checks.parse_ids(value)


def test_parse_ids_text_only():
    with pytest.raises(SettingsError, match=r"^ignore must list check IDs, got \['disk', 5\]$"):
        checks.parse_ids(["disk", 5], "ignore", SettingsError, text_only=True)
    with pytest.raises(checks.UnknownCheckError, match=r"unknown check\(s\): 5;"):
        checks.parse_ids(["disk", 5])  # read as its text


def test_known_ids():
    assert checks.known_ids(["disk", "kernel", "disk"]) == ["disk", "kernel"]
    with pytest.raises(SettingsError, match=r"^x: unknown check\(s\) 3; known: "):
        checks.known_ids([3], "x", SettingsError)


# -- every caller parses through it, with its own error type and messages -------------------
def test_select_is_the_parser_or_everything():
    assert checks.select(None) == list(checks.CHECKS)
    assert checks.select("") == list(checks.CHECKS)
    assert checks.select("kernel, disk") == ["kernel", "disk"]
    assert checks.select(",") == []  # asked for nothing by name: as before
    with pytest.raises(checks.UnknownCheckError, match="checks must be a list of check IDs"):
        checks.select(5)


def test_waivers_through_the_parser():
    reason = settings.WAIVED_WITHOUT_REASON
    assert settings.waivers("disk, kernel") == {"disk": reason, "kernel": reason}
    assert settings.waivers(["disk"]) == {"disk": reason}
    assert settings.waivers({"disk": "lab machine", "kernel": None}) == {
        "disk": "lab machine",
        "kernel": reason,
    }
    assert settings.waivers(None) == settings.waivers("") == settings.waivers([]) == {}
    with pytest.raises(SettingsError, match=r"^mdeprereq:ignore: unknown check\(s\) sytemd;"):
        settings.waivers("sytemd")
    with pytest.raises(SettingsError, match=r"^ignore: unknown check\(s\) nope;"):
        settings.waivers({"nope": "why"}, key="ignore")
    with pytest.raises(SettingsError, match=r"^mdeprereq:ignore must list check IDs"):
        settings.waivers(["disk", 5])
    with pytest.raises(SettingsError, match=r"must be a list of check IDs or a mapping ID"):
        settings.waivers(5)


def test_beacon_checks_through_the_parser():
    assert regression.beacon_config([{"checks": "disk,fanotify"}])["checks"] == ["disk", "fanotify"]
    assert regression.beacon_config([{"checks": []}])["checks"] == list(regression.DEFAULT_CHECKS)
    with pytest.raises(regression.BeaconConfigError, match=r"^unknown check\(s\): nope; known"):
        regression.beacon_config([{"checks": ["disk", "nope"]}])
    with pytest.raises(regression.BeaconConfigError, match=r"^checks must be a list of check IDs"):
        regression.beacon_config([{"checks": 5}])
