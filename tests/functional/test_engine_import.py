"""How the beacon and the outputter find the engine when Salt does not put ``_utils`` on sys.path
for them (it does for execution modules, grains, states and runners): the beacon through the
``mdeprereq`` execution module it runs its checks with, the outputter by looking in the utils
directories. Each runs in a fresh Python, where nothing has imported the engine yet and this
checkout's ``_utils`` is not on sys.path (pytest puts it there for the tests' own process)."""

import json
import os
import subprocess
import sys

import salt.loader

from tests.conftest import REPO_ROOT

FRESH_PROCESS = """
import json, sys
import salt.config, salt.loader
opts = salt.config.minion_config(None)
opts.update(module_dirs=[sys.argv[1]], cachedir=sys.argv[2], file_client="local")
opts["grains"] = {"kernel": "Linux"}
seen = {"engine_before": "mdeprereq_engine" in sys.modules}
if sys.argv[3] == "beacon":
    utils = salt.loader.utils(opts)
    functions = salt.loader.minion_mods(opts, utils=utils, whitelist=["mdeprereq"])
    beacons = salt.loader.beacons(opts, functions)
    seen["loaded"] = beacons["mdeprereq.validate"]([{"checks": ["disk"]}])
else:
    outputters = salt.loader.outputters(opts)
    summary = {"pass": 0, "warn": 0, "fail": 0, "skip": 0}
    ret = {"m1": {"ready": True, "checks": {}, "summary": summary}}
    seen["loaded"] = outputters["mdeprereq"](ret)
engine = sys.modules.get("mdeprereq_engine")
seen["engine_from"] = engine.__file__ if engine else None
print(json.dumps(seen))
"""


def _fresh(kind, tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    completed = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(REPO_ROOT), str(tmp_path), kind],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.splitlines()[-1])


def test_the_beacon_finds_the_engine_through_the_execution_module(tmp_path):
    seen = _fresh("beacon", tmp_path)
    assert seen["engine_before"] is False
    assert seen["loaded"] == [True, "Valid beacon configuration"]
    assert seen["engine_from"] == str(REPO_ROOT / "_utils" / "mdeprereq_engine" / "__init__.py")


def test_the_outputter_finds_the_engine_in_the_utils_directories(tmp_path):
    seen = _fresh("output", tmp_path)
    assert seen["engine_before"] is False
    assert seen["loaded"].startswith("m1: READY (0 pass, 0 warn, 0 fail, 0 skip)")
    assert seen["engine_from"] == str(REPO_ROOT / "_utils" / "mdeprereq_engine" / "__init__.py")


def test_the_beacon_does_not_load_without_the_execution_module(loaders, tmp_path):
    opts = dict(loaders.opts)
    opts["cachedir"] = str(tmp_path)
    beacons = salt.loader.beacons(opts, {"event.fire": lambda data, tag: None})
    assert "mdeprereq.beacon" not in beacons
    assert "execution module is not available" in str(beacons.missing_modules.get("mdeprereq"))
