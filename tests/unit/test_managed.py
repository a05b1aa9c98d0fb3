"""The managed settings file: key-by-key merge, atomic write with backup, corrupt files refused."""

import builtins
import json
import os

import pytest

from mdeprereq_engine import managed

PASSIVE = {"antivirusEngine.enforcementLevel": "passive"}


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "managed" / "mdatp_managed.json")


def test_missing_file_is_created_with_only_our_key(path):
    changes = managed.apply(PASSIVE, path=path)
    assert changes == {"antivirusEngine.enforcementLevel": {"old": None, "new": "passive"}}
    with open(path) as handle:
        assert json.load(handle) == {"antivirusEngine": {"enforcementLevel": "passive"}}
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert not os.path.exists(path + ".bak")  # nothing to back up


def test_every_other_key_and_value_survives(path):
    admin = {
        "antivirusEngine": {"enforcementLevel": "real_time", "scanArchives": True},
        "edr": {"tags": [{"key": "GROUP", "value": "db"}]},
        "cloudService": {"proxy": "http://proxy:3128"},
    }
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as handle:
        json.dump(admin, handle)
    changes = managed.apply(PASSIVE, path=path)
    assert changes == {"antivirusEngine.enforcementLevel": {"old": "real_time", "new": "passive"}}
    with open(path) as handle:
        written = json.load(handle)
    assert written["antivirusEngine"] == {"enforcementLevel": "passive", "scanArchives": True}
    assert written["edr"] == admin["edr"] and written["cloudService"] == admin["cloudService"]
    with open(path + ".bak") as handle:
        assert json.load(handle) == admin


def test_already_as_specified_writes_nothing(path):
    managed.apply(PASSIVE, path=path)
    before = os.stat(path).st_mtime_ns
    assert managed.apply(PASSIVE, path=path) == {}
    assert os.stat(path).st_mtime_ns == before


def test_test_mode_predicts_and_writes_nothing(path):
    assert managed.apply(PASSIVE, path=path, test=True) == {
        "antivirusEngine.enforcementLevel": {"old": None, "new": "passive"}
    }
    assert not os.path.exists(path)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param('{"antivirusEngine": {', id="truncated"),
        pytest.param('{"a": 1,}', id="trailing-comma"),
        pytest.param("not json at all", id="text"),
        pytest.param("[1, 2]", id="array"),
    ],
)
def test_corrupt_file_is_never_overwritten(path, content):
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as handle:
        handle.write(content)
    with pytest.raises(managed.ManagedJsonError, match=r"mdatp_managed\.json"):
        managed.apply(PASSIVE, path=path)
    with open(path) as handle:
        assert handle.read() == content
    assert sorted(os.listdir(os.path.dirname(path))) == ["mdatp_managed.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(path, monkeypatch):
    managed.apply({"a.b": 1}, path=path)

    def broken_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(managed.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        managed.apply({"a.b": 2}, path=path)
    with open(path) as handle:
        assert json.load(handle) == {"a": {"b": 1}}
    assert not [
        name for name in os.listdir(os.path.dirname(path)) if name.startswith(".mdeprereq-")
    ]


def test_merge_refuses_to_replace_a_non_mapping_on_the_way():
    # #14 item 7: a mapping never silently replaces a string (it used to become {"a": {"b": 1}})
    with pytest.raises(managed.ManagedJsonError, match="a is a str in the file"):
        managed.merged({"a": "text"}, {"a.b": 1})
    assert managed.merged({"a": None}, {"a.b": 1}) == {"a": {"b": 1}}
    assert managed.get({"a": {"b": {"c": 3}}}, "a.b.c") == 3
    assert managed.get({"a": 1}, "a.b") is None


# -- the one reader: managed.read(host), managed.load(path) -------------------------------------
def test_read_returns_the_settings_under_the_hosts_root(machine):
    machine.write(managed.data.MANAGED_JSON, json.dumps({"cloudService": {"proxy": "http://p:1"}}))
    assert managed.read(machine.host()) == {"cloudService": {"proxy": "http://p:1"}}
    machine.write(managed.data.MANAGED_JSON, "  \n")
    assert managed.read(machine.host()) == {}  # blank: no settings, as mdatp has it


def test_read_says_missing_also_through_a_regular_file(machine):
    with pytest.raises(managed.ManagedJsonMissingError, match="there is no"):
        managed.read(machine.host())
    machine.write("/etc/opt/microsoft/mdatp/managed", "a file where the directory belongs")
    with pytest.raises(managed.ManagedJsonMissingError):
        managed.read(machine.host())


def test_load_refuses_a_path_through_a_regular_file(tmp_path):
    (tmp_path / "managed").write_text("a file where the directory belongs")
    with pytest.raises(managed.ManagedJsonUnreadableError, match="can't be read"):
        managed.load(str(tmp_path / "managed" / "mdatp_managed.json"))


def test_read_unreadable_keeps_the_os_error(machine, monkeypatch):
    real = builtins.open
    target = machine.host().path(managed.data.MANAGED_JSON)
    machine.write(managed.data.MANAGED_JSON, "{}")

    def opener(name, *args, **kwargs):
        if str(name) == target:
            raise PermissionError(13, "Permission denied")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", opener)
    with pytest.raises(managed.ManagedJsonUnreadableError) as caught:
        managed.read(machine.host())
    assert caught.value.os_error.strerror == "Permission denied"
    assert str(caught.value).startswith(f"{managed.data.MANAGED_JSON} can't be read: ")


@pytest.mark.parametrize(
    ("raw", "error", "says"),
    [
        (b"{not json", managed.ManagedJsonInvalidError, "not valid JSON"),
        (b"\xff{}", managed.ManagedJsonInvalidError, "not UTF-8"),
        (b'{"a": 1, "a": 2}', managed.ManagedJsonInvalidError, "twice"),
        (b"[1, 2]", managed.ManagedJsonNotObjectError, "must hold a JSON object, not list"),
    ],
    ids=["syntax", "not-utf8", "duplicate", "list"],
)
def test_read_types_what_is_wrong(machine, raw, error, says):
    target = machine.root / managed.data.MANAGED_JSON.lstrip("/")
    target.parent.mkdir(parents=True)
    target.write_bytes(raw)
    with pytest.raises(error, match=says) as caught:
        managed.read(machine.host())
    assert managed.data.MANAGED_JSON in str(caught.value)  # named as on the machine, not the root
    assert isinstance(caught.value, managed.ManagedJsonError)  # what callers catch
