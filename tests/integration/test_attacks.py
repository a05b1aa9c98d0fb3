"""The attack suite of issue #14 with a real master and two minions: a compromised minion A
forwards crafted ``events`` loads (``event.fire ... fire_master``, what beacons send: Salt fires
them as the minion wrote them, envelope and ``salt/job/.../ret/<id>`` tags included) against a
victim B; and a refused authenticated proxy, set in B's pillar, is looked for in the real files a
``salt-call`` run leaves (its log at level ``all``, the minion's ``sls.p`` and
``highstate.cache.p``, the master's job cache). Each test names its finding (``item_NN``); the
findings that need no daemons are in ``tests/security/test_attacks.py``.
"""

import json
import os
import pathlib
import time

import pytest
import salt.cache
import salt.client
import salt.config
import salt.utils.jid
from saltfactories.utils import random_string

from tests.helpers.saltmaster import (
    REACTOR,
    REMEDIATE_RUNNER,
    call,
    copy_state_root,
    master_daemon,
    pillar_tree,
)
from tests.integration.conftest import host_settings
from tests.integration.test_compliance import notready_payload

pytestmark = pytest.mark.integration

SECRET = "S3cret-Leak-42"
AUTHENTICATED = f"http://alice:{SECRET}@proxy.example:3128"
SENTINEL = random_string("mdeprereq-attack-")
PROXY_SLS = "mdeprereq-proxy:\n  mdeprereq.proxy_configured: []\n"
# What a compromised minion can send the master itself: a job return whose resource_id names
# another minion (Salt 3008's master re-keys a return by it, salt/master.py _return)
FORGE_MODULE = """
import salt.channel.client


def resource_return(victim, payload):
    load = {
        "cmd": "_return",
        "id": __opts__["id"],
        "resource_id": victim,
        "jid": "req",
        "fun": "mdeprereq.check",
        "fun_args": [{"fire_event": True, "__kwarg__": True}],
        "return": payload,
        "retcode": 1,
        "success": True,
    }
    with salt.channel.client.ReqChannel.factory(__opts__) as channel:
        return channel.send(load)
"""


@pytest.fixture(scope="module")
def ids():
    return {"a": random_string("mde-attacker-"), "b": random_string("mde-victim-")}


@pytest.fixture(scope="module")
def state_root(tmp_path_factory, ids):
    root = tmp_path_factory.mktemp("attacks-root")
    copy_state_root(root)
    (root / "_modules" / "attack_forge.py").write_text(FORGE_MODULE)
    (root / "attack").mkdir()
    (root / "attack" / "proxy.sls").write_text(PROXY_SLS)
    (root / "top.sls").write_text(f"base:\n  '{ids['b']}':\n    - attack.proxy\n")
    return root


@pytest.fixture(scope="module")
def pillar_dir(tmp_path_factory, ids):
    root = tmp_path_factory.mktemp("attacks-pillar")
    # loopback connectivity only (tests/conftest.py)
    return pillar_tree(root, ids, json.dumps({"mdeprereq": host_settings()}) + "\n")


@pytest.fixture(scope="module")
def master(salt_factories, state_root, pillar_dir):
    factory = master_daemon(
        salt_factories,
        "mde-attacks-master-",
        state_root,
        pillar_dir,
        reactor=REACTOR,
        log_level_logfile="info",
    )
    factory.slow_stop = False
    with factory.started():
        yield factory


@pytest.fixture(scope="module")
def minions(master, ids, local):
    factories = {
        key: master.salt_minion_daemon(minion_id, overrides={"enable_fqdns_grains": False})
        for key, minion_id in ids.items()
    }
    for factory in factories.values():
        factory.slow_stop = False
    synced = master.salt_run_cli(timeout=300).run("saltutil.sync_all")
    assert synced.returncode == 0, synced
    started = []
    try:
        for factory in factories.values():
            factory.start()
            started.append(factory)
        returns = local.cmd(list(ids.values()), "saltutil.sync_all", tgt_type="list", timeout=120)
        assert all("modules.mdeprereq" in returns[m]["modules"] for m in ids.values()), returns
        yield factories
    finally:
        for factory in started:
            factory.terminate()


def set_pillar(pillar_dir, local, minion, key, settings):
    pillar = {"mdeprereq": host_settings(settings)}
    (pillar_dir / f"{key}.sls").write_text(json.dumps(pillar) + "\n")
    assert call(local, minion.id, "saltutil.refresh_pillar", wait=True) is True


def forward(local, attacker, events, pretag=None):
    """What a compromised minion can make the master fire: ``events`` as it wrote them."""
    load = {"data": None, "tag": None, "pretag": pretag, "events": events}
    assert call(local, attacker, "event.fire", load, "fire_master") is True


def runner_returns(bus, after):
    return [
        event.data["return"]
        for event in bus.events("salt/run/*/ret", after)
        if event.data.get("fun") == REMEDIATE_RUNNER
    ]


def wait_runner(bus, after, count=1, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = runner_returns(bus, after)
        if len(found) >= count:
            return found
        time.sleep(0.25)
    pytest.fail(f"{len(runner_returns(bus, after))} remediate runner return(s), not {count}")


def fresh_jid(master):
    return salt.utils.jid.gen_jid(master.config)


def return_event(jid, minion_id, payload):
    """A job return event as a minion would forge it."""
    return {
        "tag": f"salt/job/{jid}/ret/{minion_id}",
        "data": {
            "fun": "mdeprereq.check",
            "id": minion_id,
            "jid": jid,
            "return": payload,
            "fun_args": [{"fire_event": True}],
            "schedule": "mdeprereq-check",
        },
    }


def _pretagged(jid, minion_id):
    """``pretag`` ``salt`` and tag ``job/<jid>/ret/<id>``: the master fires
    ``salt/job/<jid>/ret/<id>`` before its blacklist check (``syndic`` forwarding)."""
    event = return_event(jid, minion_id, notready_payload())
    return [{**event, "tag": f"job/{jid}/ret/{minion_id}"}], "salt", True


# The crafted hints: (what A forwards, pretag, whether the reactor even calls the runner)
HINTS = {
    "item_01 traversal in a job return tag": lambda m, b: (
        [return_event(fresh_jid(m), f"../../../../../../../../tmp/{SENTINEL}", notready_payload())],
        None,
        True,
    ),
    "item_01 traversal in the old check tag": lambda m, b: (
        [
            {
                "tag": f"mdeprereq/check/notready/../../../../../../tmp/{SENTINEL}",
                "data": {"id": f"../../../../../../tmp/{SENTINEL}", "data": notready_payload()},
            }
        ],
        None,
        False,
    ),
    "item_01 an id without an accepted key": lambda m, b: (
        [return_event(fresh_jid(m), f"{SENTINEL}-ghost", notready_payload())],
        None,
        True,
    ),
    "item_04 a forged return of the victim": lambda m, b: (
        [return_event(fresh_jid(m), b, notready_payload())],
        None,
        True,
    ),
    "item_04 a forged return through a pretag": lambda m, b: (
        [
            {
                **return_event(fresh_jid(m), b, notready_payload()),
                "tag": f"job/{fresh_jid(m)}/ret/{b}",
            }
        ],
        "salt",
        True,
    ),
    "item_14 an id of 64 KiB with a terminal escape": lambda m, b: (
        [return_event(fresh_jid(m), "x" * 65536 + "\x1b[2J", notready_payload())],
        None,
        True,
    ),
}


def mdeprereq_cache_keys(master):
    cache = salt.cache.factory(salt.config.master_config(master.config_file))
    return {bank: set(cache.list(f"mdeprereq/{bank}")) for bank in ("remediation", "fleet", "jobs")}


def stored_minions(master):
    cache = salt.cache.factory(salt.config.master_config(master.config_file))
    found = set(cache.list("mdeprereq/remediation"))
    for shard in cache.list("mdeprereq/fleet"):
        found |= set(cache.fetch("mdeprereq/fleet", shard) or {})
    return found


@pytest.mark.parametrize("case", list(HINTS))
def test_forged_hints_change_nothing(master, minions, local, bus, case):
    a, b = minions["a"], minions["b"]
    events, pretag, reaches_runner = HINTS[case](master, b.id)
    before = stored_minions(master)
    start = time.time()
    forward(local, a.id, events, pretag=pretag)
    if reaches_runner:
        for ret in wait_runner(bus, start):
            assert ret["action"] == "ignored", ret
            assert len(json.dumps(ret)) < 600  # item 14: bounded, in the runner's return too
    else:
        time.sleep(5)
        assert runner_returns(bus, start) == []
    # no job on the victim (no check, no state run), nothing stored, no file planted
    assert bus.jobs_on(b.id, start) == []
    assert stored_minions(master) == before
    assert not list(pathlib.Path("/tmp").glob(f"{SENTINEL}*"))
    cachedir = pathlib.Path(master.config["cachedir"])
    assert not [path for path in cachedir.rglob("*") if SENTINEL in path.name]
    # item 14: every line the runner logged about it is short
    log_text = pathlib.Path(master.config["log_file"]).read_text(errors="replace")
    lines = [line for line in log_text.splitlines() if "mdeprereq.remediate" in line]
    assert all(len(line) < 500 for line in lines), max(map(len, lines))


def test_item_04_a_replayed_return_is_acted_on_once(master, minions, local, bus):
    """B's real, authenticated return is acted on once; A replaying its tag with a not-ready
    payload gets nothing: no job on B, its rate limit untouched."""
    a, b = minions["a"], minions["b"]
    start = time.time()
    real = call(local, b.id, "mdeprereq.check", checks="distro", fire_event=True)
    assert "distro" in real["checks"], real
    (first,) = [r for r in wait_runner(bus, start) if r.get("minion") == b.id]
    assert first["action"] in ("recorded", "nothing_fixable"), first
    jid = first["jid"]
    cache = salt.cache.factory(salt.config.master_config(master.config_file))
    record = cache.fetch("mdeprereq/remediation", b.id)
    replay = time.time()
    forward(local, a.id, [return_event(jid, b.id, notready_payload())])
    (ret,) = wait_runner(bus, replay)
    assert ret["action"] == "ignored" and "a replay" in ret["reason"], ret
    assert bus.jobs_on(b.id, replay) == []
    assert cache.fetch("mdeprereq/remediation", b.id) == record
    assert record["attempts"] == [] and record["gave_up"] is None


def grep_tree(root, needle):
    """The files under ``root`` holding ``needle``."""
    found = []
    for path in pathlib.Path(root).rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                if needle.encode() in path.read_bytes():
                    found.append(str(path))
            except OSError:
                continue
    return found


def test_item_03_a_refused_proxy_leaves_no_trace(master, minions, local, pillar_dir, tmp_path):
    b = minions["b"]
    set_pillar(pillar_dir, local, b, "b", {"proxy": AUTHENTICATED})
    try:
        log_file = tmp_path / "salt-call.log"
        cli = b.salt_call_cli(timeout=300)
        runs = [
            cli.run(
                f"--log-file={log_file}",
                "--log-file-level=all",
                "-l",
                "all",
                *args,
            )
            for args in (["state.apply", "attack.proxy"], ["state.apply"])  # sls, then highstate
        ]
        for run in runs:
            states = run.data
            assert isinstance(states, dict), run
            (state,) = states.values()
            assert state["result"] is False, state
            assert "carries credentials" in state["comment"], state
            # the state's key, the job return (stdout) and the console log (stderr)
            assert SECRET not in run.stdout and SECRET not in run.stderr
            assert all(SECRET not in key for key in states)
        assert log_file.stat().st_size > 10000  # level all: the run really was logged
        assert SECRET not in log_file.read_text(errors="replace")
        cachedir = pathlib.Path(b.config["cachedir"])
        assert (cachedir / "sls.p").is_file() and (cachedir / "highstate.cache.p").is_file()
        assert grep_tree(cachedir, SECRET) == []
        assert SECRET not in pathlib.Path(b.config["log_file"]).read_text(errors="replace")
        assert grep_tree(pathlib.Path(master.config["cachedir"]) / "jobs", SECRET) == []
    finally:
        set_pillar(pillar_dir, local, b, "b", {})


APT_PROXY = pathlib.Path("/etc/apt/apt.conf.d/90mdeprereq-proxy")


@pytest.fixture
def old_authenticated_proxy(managed_json_restored):
    """An apt proxy drop-in and a managed cloudService.proxy with credentials, as a machine may
    have them from before; removed (and the managed settings put back) whatever happens."""
    if APT_PROXY.exists():
        pytest.skip(f"{APT_PROXY} exists on this machine already")
    APT_PROXY.write_text(f'Acquire::https::Proxy "{AUTHENTICATED}/";\n')
    os.chmod(APT_PROXY, 0o600)
    managed_json_restored.parent.mkdir(parents=True, exist_ok=True)
    managed_json_restored.write_text(json.dumps({"cloudService": {"proxy": AUTHENTICATED}}))
    try:
        yield APT_PROXY
    finally:
        for path in (APT_PROXY, APT_PROXY.with_name(APT_PROXY.name + ".bak")):
            if path.exists():
                path.unlink()


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_item_02_old_and_new_proxies_masked_in_test_and_apply(
    minions, local, pillar_dir, old_authenticated_proxy
):
    b = minions["b"]
    set_pillar(pillar_dir, local, b, "b", {"proxy": "http://proxy.example:3128"})
    try:
        for test_mode in (True, False):
            states = call(local, b.id, "state.apply", "attack.proxy", test=test_mode)
            (state,) = states.values()
            assert state["result"] is (None if test_mode else True), state
            assert SECRET not in json.dumps(states)
            assert state["changes"]["package_manager"]["old"] == "http://***@proxy.example:3128/"
            assert state["changes"]["cloudService.proxy"] == {
                "old": "http://***@proxy.example:3128",
                "new": "http://proxy.example:3128",
            }
        # item 5 on the real file: the 0600 drop-in (it held credentials) stays 0600, its .bak too
        assert old_authenticated_proxy.stat().st_mode & 0o777 == 0o600
        backup = old_authenticated_proxy.with_name(old_authenticated_proxy.name + ".bak")
        assert backup.stat().st_mode & 0o777 == 0o600
    finally:
        set_pillar(pillar_dir, local, b, "b", {})


def test_limit_salt_resource_id_return_needs_the_victims_confirmation(master, minions, local, bus):
    """The limit the README names: through Salt's ``resource_id`` a compromised minion puts a
    return into the job cache under the victim's id. The runner then asks the victim itself (a
    check job on it), and nothing is applied unless the victim confirms."""
    a, b = minions["a"], minions["b"]
    start = time.time()
    call(local, a.id, "attack_forge.resource_return", b.id, notready_payload())
    found = [r for r in wait_runner(bus, start, timeout=60) if r.get("minion") == b.id]
    if not found:
        pytest.skip("this Salt does not re-key returns by resource_id")
    (ret,) = found
    # B's real mdatp_user check is not failing (no mdeprereq:user): nothing to fix
    assert ret["action"] == "nothing_to_fix", ret
    assert [job["fun"] for job in bus.jobs_on(b.id, start)] == ["mdeprereq.check"]
