"""The README's layout table covers the whole tree: every engine module, adapter and test suite
is named there (issue #18 item 9: it covered half the tree)."""

import re

from tests.conftest import REPO_ROOT

ENGINE = REPO_ROOT / "_utils" / "mdeprereq_engine"
ADAPTERS = ("_modules", "_states", "_grains", "_runners", "_beacons", "_output")


def _layout():
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`([^`]+)`", section))


def test_every_engine_module_is_in_the_layout_table():
    named = _layout()
    modules = {path.name for path in ENGINE.glob("*.py") if path.name != "__init__.py"}
    assert modules - named == set()


def test_every_adapter_and_test_suite_is_in_the_layout_table():
    named = _layout()
    adapters = {f"{name}/mdeprereq.py" for name in ADAPTERS}
    assert adapters - named == set()
    suites = {
        path.name
        for path in (REPO_ROOT / "tests").iterdir()
        if path.is_dir() and any(path.glob("test_*.py"))
    }
    assert suites - named == set()
