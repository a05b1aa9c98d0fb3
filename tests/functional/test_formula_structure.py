"""The formula's structure after issue #18 item 7: ``sls`` requisites instead of repeated Jinja
conditions, and ``file.pruned`` (guarded, as it fails on a directory that isn't empty) for the
directories ``mde.remove`` takes away only when nothing else is left in them."""

import pytest

from tests.functional.test_formula_render import state_args

STATE = {"__sls__": "formula-structure", "__env__": "base"}


def pruned_when_empty(path):
    """The construct of ``mde.remove`` (``mde-remove-config-parent-pruned``), as high data."""
    return {
        **STATE,
        "file": [
            "pruned",
            {"name": str(path)},
            {"unless": [{"fun": "file.find", "path": str(path), "mindepth": 1, "maxdepth": 1}]},
        ],
    }


@pytest.mark.parametrize("test_mode", [False, True], ids=["apply", "test"])
def test_pruned_removes_an_empty_directory_only(modules, tmp_path, test_mode):
    empty, kept, absent = tmp_path / "empty", tmp_path / "kept", tmp_path / "absent"
    empty.mkdir()
    kept.mkdir()
    (kept / "other-product.json").write_text("{}")
    (kept / "subdir").mkdir()
    ran = modules.state.high(
        {str(path): pruned_when_empty(path) for path in (empty, kept, absent)}, test=test_mode
    )
    by_name = {result.name: result for result in ran}
    assert by_name[str(kept)].result is True, by_name[str(kept)].comment
    assert by_name[str(kept)].changes == {}
    assert (kept / "other-product.json").exists() and (kept / "subdir").is_dir()
    assert by_name[str(absent)].result is True
    assert by_name[str(absent)].changes == {}
    if test_mode:
        assert by_name[str(empty)].result is None
        assert empty.is_dir()
    else:
        assert by_name[str(empty)].result is True
        assert by_name[str(empty)].changes == {"deleted": str(empty)}
        assert not empty.exists()


def test_mde_remove_prunes_its_directories(loaders):
    rendered = loaders.modules.state.show_sls("mde.remove")
    assert isinstance(rendered, dict), rendered
    for state_id, path in (
        ("mde-remove-config-parent-pruned", "/etc/opt/microsoft"),
        ("mde-remove-repo-record-dir-pruned", "/var/lib/mdeprereq"),
    ):
        module, function, args = state_args(rendered, state_id)
        assert (module, function) == ("file", "pruned")
        assert args["name"] == path
        assert args["unless"] == [{"fun": "file.find", "path": path, "mindepth": 1, "maxdepth": 1}]


def test_the_fixing_states_are_gated_and_required_as_one_sls(loaders):
    """mde.prereqs requires mde.fixes as a whole, whichever fixing states it renders: a
    distribution that fails the gate stops every one of them (a real run, under test=True)."""
    narrowed = {"debian": {"x86_64": [], "aarch64": []}}
    ran = loaders.modules.state.sls(
        "mde.prereqs",
        test=True,
        pillar={"mdeprereq": {"support": narrowed, "user": {"uid": 1500}, "proxy": "http://p:3"}},
    )
    results = {result.id: result for result in ran}
    fixing = {
        "mde-prereqs-user-present",
        "mde-prereqs-dependencies-installed",
        "mde-prereqs-proxy-configured",
        "mde-prereqs-passive-if-conflicting",
        "mde-prereqs-isolation-tools-installed",
    }
    assert set(results) == fixing | {"mde-prereqs-supported", "mde-prereqs-satisfied"}
    assert results["mde-prereqs-supported"].result is False
    for state_id in fixing | {"mde-prereqs-satisfied"}:
        assert results[state_id].result is False, state_id
        assert "requisite failed" in results[state_id].comment, state_id
