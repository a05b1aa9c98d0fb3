"""``pillar.example`` is every key under ``mdeprereq:`` with its default (issue #18 item 9): it
names exactly the keys of ``settings.SCHEMA``, its values are the engine's defaults (``Settings``,
``RemediationSettings``, ``licensed_timeout``, the runner's ``DEFAULT_SETTLE``), and the formula's
``salt/mde/defaults.yaml`` says the same wherever it sets a key."""

import ast
import dataclasses
import re

import pytest
import yaml

from mdeprereq_engine import remediation, settings
from mdeprereq_engine.settings import FREE, SCHEMA, VALUE, Settings
from tests.conftest import REPO_ROOT

# still known, only so that its error can name what replaced it (settings._connectivity)
RETIRED = {("connectivity", "expected_issuers")}


def load(path):
    with open(REPO_ROOT / path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["mdeprereq"]


@pytest.fixture(scope="module")
def example():
    return load("pillar.example")


@pytest.fixture(scope="module")
def formula_defaults():
    return load("salt/mde/defaults.yaml")


def test_pillar_example_names_every_key_of_the_schema(example):
    assert list(example) == [key for key in example if key in SCHEMA]  # nothing unknown
    assert set(example) == set(SCHEMA)
    for key, (keys, _) in SCHEMA.items():
        if keys in (FREE, VALUE):
            continue
        wanted = {sub for sub in keys if (key, sub) not in RETIRED}
        assert set(example[key]) == wanted, key


def test_pillar_example_values_are_the_engine_defaults(example):
    settings.check_known(example)
    assert dataclasses.asdict(Settings.from_raw(example)) == dataclasses.asdict(
        Settings.from_raw({})
    )
    # the defaults are spelled out, not left to null where the engine has a value
    defaults = Settings.from_raw({})
    assert example["install_path"] == defaults.install_path
    assert example["channel"] == defaults.channel
    assert example["connectivity"]["timeout"] == defaults.connectivity_timeout
    assert example["fanotify_conflict"] == defaults.fanotify_conflict
    assert (example["desktop"], example["derived"]) == (defaults.desktop, defaults.derived)
    assert example["repo"]["trusted"] is defaults.repo_trusted


def test_pillar_example_formula_and_runner_keys_are_their_defaults(example):
    assert settings.licensed_timeout(example["licensed_timeout"]) == settings.licensed_timeout(None)
    assert remediation.RemediationSettings.from_raw(example["remediation"]) == (
        remediation.RemediationSettings()
    )
    assert example["remediation"] == {
        "max_attempts": remediation.DEFAULT_MAX_ATTEMPTS,
        "window": remediation.DEFAULT_WINDOW,
    }
    assert example["report"] == {"settle": runner_default_settle()}


def runner_default_settle():
    """``DEFAULT_SETTLE`` of ``_runners/mdeprereq.py``, read without importing Salt."""
    tree = ast.parse((REPO_ROOT / "_runners" / "mdeprereq.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["DEFAULT_SETTLE"]:
            return ast.literal_eval(node.value)
    raise AssertionError("_runners/mdeprereq.py has no DEFAULT_SETTLE")


def test_formula_defaults_agree_with_pillar_example(example, formula_defaults):
    assert set(formula_defaults) <= set(SCHEMA)
    for key, value in formula_defaults.items():
        assert value == example[key], key


def test_formula_paths_are_the_engines():
    """The formula's paths live in defaults.yaml alone (not in map.jinja or an SLS) and are the
    engine's own."""
    from mdeprereq_engine import data, repos

    with open(REPO_ROOT / "salt" / "mde" / "defaults.yaml", encoding="utf-8") as handle:
        paths = yaml.safe_load(handle)["paths"]
    assert paths == {
        "onboard": data.ONBOARD_JSON,
        "offboard": data.OFFBOARD_JSON,
        "config_dir": data.CONFIG_DIR,
        "config_parent": data.CONFIG_DIR.rsplit("/", 1)[0],
        "record": repos.RECORD_FILE,
    }
    formula = REPO_ROOT / "salt" / "mde"
    for sls in [*sorted(formula.glob("*.sls")), formula / "map.jinja"]:
        # what renders, not what the comments say
        text = re.sub(r"\{#.*?#\}", "", sls.read_text(encoding="utf-8"), flags=re.DOTALL)
        for path in paths.values():
            assert path not in text, f"{sls.name} repeats {path}"
