"""The managed settings file: key-by-key merge, atomic write with backup, corrupt files refused."""

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
