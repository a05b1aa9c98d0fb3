"""The cache of Debian trees (``tests/rootfs.py``) never drops a tree another run still uses."""

import os
import time

from tests import rootfs


def _tree(cache, name, age=0.0):
    tree = cache / name
    tree.mkdir()
    (tree / ".mdeprereq-complete").write_text("built\n")
    stamp = tree / rootfs.USED_STAMP
    stamp.touch()
    then = time.time() - age
    os.utime(stamp, (then, then))
    return tree


def test_a_stale_tree_is_dropped_only_when_unused_and_unmounted(tmp_path, monkeypatch):
    monkeypatch.setattr(rootfs, "CACHE", tmp_path)
    current = _tree(tmp_path, "base-new")
    recent = _tree(tmp_path, "base-recent", age=60)
    old = _tree(tmp_path, "base-old", age=rootfs.STALE_AFTER + 60)
    mounted = _tree(tmp_path, "base-mounted", age=rootfs.STALE_AFTER + 60)
    building = tmp_path / "base-next.building"
    building.mkdir()
    other = _tree(tmp_path, "rpm-old", age=rootfs.STALE_AFTER + 60)
    monkeypatch.setattr(
        rootfs, "_mounted_paths", lambda: f"36 25 0:32 / /x rw - overlay o rw,lowerdir={mounted}\n"
    )

    rootfs._drop_stale("base", current.name)

    assert current.exists()
    assert recent.exists(), "a tree another run took from the cache lately is kept"
    assert mounted.exists(), "a tree something is mounted from is kept"
    assert building.exists()
    assert other.exists(), "another recipe's trees are not this name's to drop"
    assert not old.exists()


def test_taking_a_tree_stamps_it(tmp_path):
    tree = _tree(tmp_path, "base-x", age=rootfs.STALE_AFTER * 2)
    assert rootfs._taken(tree) == tree
    assert time.time() - (tree / rootfs.USED_STAMP).stat().st_mtime < 60
