"""The attack suite of issue #14, one test per finding: what a compromised minion, a careless
pillar or a planted file tried, and what happens now. Each test names its finding (``item_NN``).

The findings that need a real master and minions (forged events, minion-id traversal, the
proxy in the state cache and the minion log, the masked proxy changes on a real machine) are in
``tests/integration/test_attacks.py``; these run the same code without daemons: the engine, the
runner through Salt's loader, the states and the module with their ``__salt__`` faked.
"""

import copy
import importlib.util
import json
import os
import stat

import pytest
import salt.loader
import salt.utils.jid
from salt.exceptions import CommandExecutionError
from saltfactories.utils import random_string

from mdeprereq_engine import data, managed, proxy, remediation, report, settings, tables
from mdeprereq_engine.fanotify import Holder
from mdeprereq_engine.redact import mask_cmdline
from mdeprereq_engine.settings import Settings, SettingsError, check_known
from tests.conftest import REPO_ROOT
from tests.unit.conftest import FakeMachine
from tests.unit.results import make_result as result

SECRET = "S3cret-Leak-42"
AUTHENTICATED = f"http://alice:{SECRET}@proxy.example:3128"


def load(kind):
    """``_states/mdeprereq.py`` or ``_modules/mdeprereq.py`` as a plain module, dunders faked."""
    spec = importlib.util.spec_from_file_location(
        f"mdeprereq_{kind}_under_attack", REPO_ROOT / f"_{kind}" / "mdeprereq.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.__salt__ = {}
    module.__opts__ = {"test": False, "id": "web1"}
    module.__context__ = {}
    module.__grains__ = {"kernel": "Linux"}
    module.__states__ = {}
    return module


def config_get(values):
    """A ``config.get`` over ``{"mdeprereq": {...}}`` (``a:b`` keys, like Salt's)."""

    def get(key, default=None, merge=None):
        node = values
        for part in key.split(":"):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return copy.deepcopy(node)

    return get


@pytest.fixture
def machine(tmp_path):
    return FakeMachine(tmp_path)


# -- 2: proxy values masked in every part of the state's return ---------------------------------
@pytest.mark.parametrize("test_mode", [False, True], ids=["apply", "test"])
def test_item_02_proxy_configured_masks_old_and_new(test_mode):
    states = load("states")
    states.__opts__["test"] = test_mode
    changes = {
        "package_manager": {"file": "/etc/dnf/dnf.conf", "old": "http://***@old:3128", "new": "x"}
    }
    # the state asks the module for the plan (the old proxy masked there) and lets Salt's own
    # state write the file: Salt's ini state puts the old value, unmasked, into its changes
    plan = {
        "manager": "dnf",
        "file": "/etc/dnf/dnf.conf",
        "path": "/etc/dnf/dnf.conf",
        "exists": True,
        "old": "http://***@old:3128",
        "new": "x",
        "final_newline": False,
        "states": [("ini.options_present", {"name": "/etc/dnf/dnf.conf"})],
        "backup": ("file.copy", {"name": "/etc/dnf/dnf.conf.bak"}),
    }
    written = []
    states.__salt__["mdeprereq.proxy_plan"] = lambda root="/": {**plan, "changed": not written}
    states.__salt__["mdeprereq.configure_proxy"] = lambda test=False, **kwargs: {}
    states.__states__["file.copy"] = lambda **kwargs: {"result": True, "comment": "", "changes": {}}

    def ini_options_present(**kwargs):
        old = f"http://alice:{SECRET}@old:3128"
        if test_mode:
            return {"result": None, "comment": f"Changed key proxy ({old})", "changes": {}}
        written.append(kwargs)
        salt_says = {"main": {"proxy": {"before": old, "after": "x"}}}
        return {"result": True, "comment": f"Changed key proxy ({old})", "changes": salt_says}

    states.__states__["ini.options_present"] = ini_options_present
    ret = states.proxy_configured("mdeprereq-proxy")
    assert ret["changes"] == changes and SECRET not in json.dumps(ret)
    # the module masks what it returns: an old authenticated proxy in a file never shows
    module = load("modules")
    masked = module._masked({"cloudService.proxy": {"old": AUTHENTICATED, "new": "http://p:1"}})
    assert masked == {
        "cloudService.proxy": {"old": "http://***@proxy.example:3128", "new": "http://p:1"}
    }
    # a proxy given as the state's name is refused, the name masked
    named = states.proxy_configured(AUTHENTICATED)
    assert named["result"] is False and SECRET not in json.dumps(named)


# -- 5: a package-manager proxy file keeps its mode and owner ---------------------------------
@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_item_05_proxy_file_keeps_mode_and_owner(tmp_path):
    dnf_conf = tmp_path / "dnf.conf"
    dnf_conf.write_text(f"[main]\nproxy_username=alice\nproxy_password={SECRET}\n")
    os.chmod(dnf_conf, 0o600)
    os.chown(dnf_conf, 4321, 4321)
    managed.write_atomic(str(dnf_conf), dnf_conf.read_text() + "proxy=http://p:3128\n")
    for path in (dnf_conf, tmp_path / "dnf.conf.bak"):
        info = path.stat()
        assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o600, 4321, 4321), path
    # a new file is 0644 root
    new = tmp_path / "new.conf"
    managed.write_atomic(str(new), "x\n")
    assert (stat.S_IMODE(new.stat().st_mode), new.stat().st_uid) == (0o644, 0)


# -- 6: managed settings refuse an authenticated proxy and mask ------------------------------
def test_item_06_managed_refuses_an_authenticated_proxy_and_masks(tmp_path):
    module = load("modules")
    with pytest.raises(CommandExecutionError, match="credentials") as refused:
        module.set_managed({"cloudService": {"proxy": AUTHENTICATED}})
    assert SECRET not in str(refused.value)
    path = tmp_path / "mdatp_managed.json"
    path.write_text(json.dumps({"cloudService": {"proxy": AUTHENTICATED}}))
    changes = managed.apply({"cloudService.proxy": "http://p:3128"}, path=str(path), test=True)
    assert changes == {
        "cloudService.proxy": {"old": "http://***@proxy.example:3128", "new": "http://p:3128"}
    }
    shown = managed.masked(managed.load(str(path)))
    assert shown == {"cloudService": {"proxy": "http://***@proxy.example:3128"}}


# -- 7: the schema of managed settings, nested values included --------------------------------
@pytest.mark.parametrize(
    ("updates", "says"),
    [
        ({"antivirusEngine": {"enforcementLevel": {"nested": 1}}}, "not a mapping"),
        ({"antivirusEngine": {"enforcementLevel": ["passive"]}}, "must be one of"),
        ({"cloudService": {"proxy": {"host": "p"}}}, "not a mapping"),
        ({"edr": {"tags": {"key": "GROUP"}}}, "list of"),
        ({"antivirusEngine": {}}, "section"),
        ({"antivirusEngine": None}, "section"),
        ({"cloudService": "off"}, "section"),
        ({"antivirusEngine": {"maximumOnDemandScanThreads": float("nan")}}, "NaN"),
        ({"exclusionSettings": {"weight": float("inf")}}, "NaN and Infinity"),
    ],
)
def test_item_07_managed_schema(tmp_path, updates, says):
    path = tmp_path / "mdatp_managed.json"
    before = json.dumps({"antivirusEngine": {"enforcementLevel": "passive"}})
    path.write_text(before)
    with pytest.raises(managed.ManagedJsonError, match=says):
        flat = managed.flatten(updates)
        managed.validate(flat)
        managed.apply(flat, path=str(path))
    assert path.read_text() == before  # passive mode survives


def test_item_07_an_empty_unknown_section_never_replaces_one_and_readers_refuse_nan(
    tmp_path, machine
):
    path = tmp_path / "mdatp_managed.json"
    path.write_text(json.dumps({"exclusionSettings": {"mergePolicy": "admin_only"}}))
    with pytest.raises(managed.ManagedJsonError, match="never replaces"):
        managed.apply({"exclusionSettings": {}}, path=str(path))
    machine.write(data.MANAGED_JSON, '{"cloudService": {"proxy": "http://p:1", "x": NaN}}')
    checked = proxy.check_proxy(machine.host(), Settings.from_raw({}))
    assert checked["status"] == "fail" and "NaN is not JSON" in checked["message"]


# -- 8, 9: malformed or oversized returns are skipped and counted, never crash -----------------
MALFORMED = {
    "status is a list": lambda r: r["checks"]["distro"].update(status=["fail"]),
    "status is a mapping": lambda r: r["checks"]["distro"].update(status={"a": 1}),
    "missing field": lambda r: r["checks"]["distro"].pop("message"),
    "summary is a list": lambda r: r.update(summary=[1]),
    "unknown check": lambda r: r["checks"].update(evil=r["checks"]["distro"]),
    "huge message": lambda r: r["checks"]["distro"].update(message="x" * 10**6),
    "deep facts": lambda r: r["checks"]["distro"].update(facts=_deep(50)),
    "many facts": lambda r: r["checks"]["distro"].update(facts={"l": list(range(10**5))}),
}


def _deep(levels):
    node = {}
    for _ in range(levels):
        node = {"n": node}
    return node


@pytest.fixture(scope="module")
def master_opts(salt_factories):
    factory = salt_factories.salt_master_daemon(
        random_string("attacks-master-"), overrides={"module_dirs": [str(REPO_ROOT)]}
    )
    return factory.config.copy()


@pytest.fixture
def runners(master_opts, tmp_path):
    opts = copy.deepcopy(master_opts)
    opts["cachedir"] = str(tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    return salt.loader.runner(opts, utils=salt.loader.utils(opts))


def save_job(opts, jid, returns):
    returners = salt.loader.returners(opts, {})
    returners["local_cache.prep_jid"](passed_jid=jid)
    returners["local_cache.save_load"](
        jid, {"fun": "mdeprereq.check", "arg": [{"fire_event": True}], "tgt": "*", "jid": jid}
    )
    for minion, ret in returns.items():
        returners["local_cache.returner"](
            {"jid": jid, "id": minion, "fun": "mdeprereq.check", "return": ret, "retcode": 0}
        )


# deep: only the remediation runner walks every value (one result at a time); the report keeps a
# digest of bounded size of each (10,000 results at a time), so it need not
OVERSIZED = {"deep facts", "many facts"}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_item_08_09_malformed_returns_are_skipped_and_counted(runners, monkeypatch, case):
    broken = result({"distro": "pass", "disk": "fail"})
    MALFORMED[case](broken)
    with pytest.raises(remediation.InvalidEvent):
        remediation.validate_result(broken)
    opts = runners["mdeprereq.report"].__globals__["__opts__"]
    jid = salt.utils.jid.gen_jid(opts)
    save_job(opts, jid, {"bad1": broken, "good1": result({"distro": "pass"})})
    data_ = runners["mdeprereq.report"](source="jobs", show="all")["data"]
    if case in OVERSIZED:
        assert (data_["total"], data_["skipped"]) == (2, 0), data_
        # what the report keeps of it (a settled job's digests) is a few hundred bytes
        assert len(json.dumps(report.observe(broken))) < 1000
    else:
        assert (data_["total"], data_["skipped"]) == (1, 1), data_
        assert set(data_["minions"]) == {"good1"}
    # the remediation runner refuses it (one line, nothing stored)
    runner_globals = runners["mdeprereq.remediate"].__globals__
    monkeypatch.setitem(runner_globals, "_accepted_minions", lambda: {"bad1", "good1"})
    ret = runners["mdeprereq.remediate"](f"salt/job/{jid}/ret/bad1")
    assert ret["action"] == "ignored" and "malformed" in ret["reason"]
    assert len(ret["reason"]) < 400
    assert runners["mdeprereq.report"](source="events")["data"]["total"] == 0


def test_item_09_what_the_store_keeps_is_bounded():
    facts = {"distro": {"id": "x" * 4000, "version": "1"}}
    digest = report.digest(result({"distro": "pass"}, facts=facts))
    assert len(digest["distro"]) <= report.MAX_LABEL
    assert set(digest) == {"checks", "distro"}


# -- 10: no terminal escape from minion data -------------------------------------------------
def test_item_10_tables_escape_control_characters():
    evil = "web1\x1b[2J\x1b]0;owned\x07\nFAIL  forged-line\r\u202e"
    ret = result({"distro": "fail"})
    ret["checks"]["distro"]["message"] = "bad\x1b[31m red\nnext"
    lines = tables.render_minion(evil, ret)
    report_lines = tables.render_report(
        {
            "total": 1,
            "ready": 0,
            "notready": 1,
            "unknown": 0,
            "failing": {"distro": [evil]},
            "distros": {evil: {"total": 1, "ready": 0, "notready": 1, "unknown": 0}},
            "minions": {
                evil: {
                    "status": "notready",
                    "failing": ["distro"],
                    "distro": evil,
                    "time": None,
                    "source": "job",
                    "remediation": None,
                }
            },
        }
    )
    for text in ("\n".join(lines), "\n".join(report_lines)):
        assert not any(char in text for char in "\x1b\x07\r\u202e")
    assert not any(line.startswith("FAIL  forged-line") for line in report_lines)
    assert len(lines) == 3  # header, column titles, one row: no forged line


# -- 11: settings errors never echo a secret --------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        {"proxy": {"user": "alice", "password": SECRET}},
        {"proxy": ["http://a:" + SECRET + "@p:1"]},
        {"repo": {"url": f"ftp://alice:{SECRET}@mirror.example/"}},
        {"repo": {"key_url": f"gopher://alice:{SECRET}@mirror.example/key"}},
        {"connectivity": {"urls": [f"http://alice:{SECRET}@x/"]}},
        {"onboarding": {"contents": {"onboardingInfo": SECRET}}},
    ],
)
def test_item_11_settings_errors_never_echo_a_secret(raw):
    with pytest.raises(SettingsError) as refused:
        check_known(raw)
        Settings.from_raw(raw)
    assert SECRET not in str(refused.value)
    assert str(refused.value).startswith("mdeprereq")


@pytest.mark.parametrize("key", ["url", "key_url"])
def test_item_11_repository_urls_with_credentials_are_refused(key):
    # A mirror URL is shown in every state return (pkgrepo.managed's name and changes), the job
    # cache and sls.p: masking it in one place can't keep it out of the others, so it is refused,
    # and the error shows it masked.
    module = load("modules")
    mirror = f"https://alice:{SECRET}@mirror.example/microsoft"
    module.__salt__["config.get"] = config_get({"mdeprereq": {"repo": {key: mirror}}})
    with pytest.raises(Exception) as refused:
        module.settings()
    assert f"mdeprereq:repo:{key} must not carry credentials" in str(refused.value)
    assert "https://***@mirror.example/microsoft" in str(refused.value)
    assert SECRET not in str(refused.value)


def test_item_11_a_repo_that_is_no_mapping_is_not_echoed():
    with pytest.raises(SettingsError) as refused:
        Settings.from_raw({"repo": f"https://alice:{SECRET}@mirror.example/"})
    assert SECRET not in str(refused.value)


# -- 12: the .bak is never written through a symlink, and atomically --------------------------
def test_item_12_backup_never_through_a_symlink(tmp_path):
    victim = tmp_path / "shadow"
    victim.write_text("root:$6$keep:19000::::::\n")
    target = tmp_path / "mdatp_managed.json"
    target.write_text('{"a": 1}')
    os.chmod(target, 0o600)
    os.symlink(victim, str(target) + ".bak")
    managed.write_atomic(str(target), '{"a": 2}\n')
    assert victim.read_text() == "root:$6$keep:19000::::::\n"
    backup = tmp_path / "mdatp_managed.json.bak"
    assert not backup.is_symlink() and backup.read_text() == '{"a": 1}'
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".mdeprereq-")] == []


# -- 13: non-UTF-8, too deep, duplicate keys: the module's own error, checks fail -------------
@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b'{"cloudService": {"proxy": "http://p\xff:1"}}', "not UTF-8"),
        (b"[" * 100000 + b"]" * 100000, "nested too deep"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nested deeper than"),
        (b'{"antivirusEngine": {"enforcementLevel": "passive"}, "antivirusEngine": {}}', "twice"),
    ],
    ids=["not-utf8", "recursion", "deep", "duplicate"],
)
def test_item_13_strict_managed_file(tmp_path, machine, raw, says):
    path = tmp_path / "mdatp_managed.json"
    path.write_bytes(raw)
    with pytest.raises(managed.ManagedJsonError, match=says):
        managed.load(str(path))
    with pytest.raises(managed.ManagedJsonError):
        managed.apply({"edr.tags": []}, path=str(path))
    assert path.read_bytes() == raw  # never rewritten
    target = machine.root / data.MANAGED_JSON.lstrip("/")
    target.parent.mkdir(parents=True)
    target.write_bytes(raw)
    checked = proxy.check_proxy(machine.host(), Settings.from_raw({}))
    assert checked["status"] == "fail", checked


# -- 14: an invalid event is logged in one bounded line --------------------------------------
def test_item_14_an_invalid_hint_is_one_bounded_line(runners, caplog):
    huge = "salt/job/20261201120000123456/ret/" + "\n".join(["x" * 1000] * 1000)
    with caplog.at_level("WARNING"):
        ret = runners["mdeprereq.remediate"](huge)
    assert ret["action"] == "ignored"
    (record,) = [r for r in caplog.records if "mdeprereq.remediate" in r.getMessage()]
    line = record.getMessage()
    assert "\n" not in line and len(line) < 300
    assert len(json.dumps(ret)) < 400


# -- 15: licensed timeouts and intervals validated --------------------------------------------
@pytest.mark.parametrize(
    ("timeout", "interval"),
    [("nan", 5), (float("inf"), 5), (-1, 5), (0, 5), ("soon", 5), (True, 5), (10, "nan"), (10, 0)],
)
def test_item_15_licensed_validates_timeouts(monkeypatch, timeout, interval):
    states = load("states")
    states.__salt__["mdeprereq.health"] = lambda field: pytest.fail("must not look")
    monkeypatch.setattr(states.time, "sleep", lambda seconds: pytest.fail("must not wait"))
    ret = states.licensed("mdatp", timeout=timeout, interval=interval)
    assert ret["result"] is False and ret["comment"].startswith("Invalid argument:"), ret
    with pytest.raises(SettingsError, match="mdeprereq:licensed_timeout"):
        settings.licensed_timeout(timeout if timeout != 10 else "nan")


# -- 16: fanotify facts: exe, comm, pid kept; the command line short and masked --------------
def test_item_16_fanotify_holder_facts_are_masked():
    cmdline = (
        f"/opt/agent/bin/agentd --password={SECRET} --token {SECRET} "
        f"--url=https://bob:{SECRET}@cloud.example/ api_key={SECRET} " + "-v " * 200
    )
    holder = Holder(4242, "agentd", "/opt/agent/bin/agentd", cmdline, [{"blocking": True}])
    facts = holder.as_dict()
    assert (facts["pid"], facts["comm"], facts["exe"]) == (4242, "agentd", "/opt/agent/bin/agentd")
    assert SECRET not in json.dumps(facts)
    assert facts["cmdline"].startswith("/opt/agent/bin/agentd --password=***")
    assert len(facts["cmdline"]) <= 200
    assert mask_cmdline("fapolicyd --debug-deny") == "fapolicyd --debug-deny"


# -- 17: unknown keys and ids ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"usr": {"uid": 1500}}, "mdeprereq: unknown key(s) 'usr'; known: support,"),
        ({"user": {"UID": 1500}}, "mdeprereq:user: unknown key(s) 'UID'; known: uid, gid"),
        ({"connectivity": {"timout": 5}}, "unknown key(s) 'timout'; known: urls, timeout"),
        ({"repo": {"URL": "https://m/"}}, "known: url, key_url, trusted"),
        ({"schedule": {"hour": 6}}, "known: enabled, hours, splay"),
        ({"user": {"uid": "1_500"}}, "mdeprereq:user:uid must be a whole number"),
        ({"user": {"uid": "\u0661\u0665\u0660\u0660"}}, "mdeprereq:user:uid must be a whole"),
        ({"user": {"uid": 0}}, "between 1 and"),
        ({"user": {"gid": 2**32}}, "between 1 and"),
        ({"user": {"uid": 1500.5}}, "must be a whole number"),
    ],
)
def test_item_17_unknown_keys_and_bad_ids(raw, says):
    with pytest.raises(SettingsError) as refused:
        check_known(raw)
        Settings.from_raw(raw)
    assert says in str(refused.value)


def test_item_17_the_module_sees_every_key_under_mdeprereq():
    module = load("modules")
    module.__salt__["config.get"] = config_get({"mdeprereq": {"user": {"uid": 1500, "UID": 2}}})
    with pytest.raises(CommandExecutionError, match="'UID'; known: uid, gid"):
        module.settings()
    assert set(settings.KEYS) <= set(settings.SCHEMA)


# -- 18: onboarding contents as a mapping are refused, never written as a repr ----------------
def test_item_18_onboarding_mapping_refused_without_echo():
    module = load("modules")
    blob = {"onboardingInfo": json.dumps({"body": SECRET})}
    module.__salt__["config.get"] = config_get({"mdeprereq": {"onboarding": {"contents": blob}}})
    with pytest.raises(CommandExecutionError) as refused:
        module.settings()
    message = str(refused.value)
    assert "mdeprereq:onboarding:contents" in message and "not a dict" in message
    assert SECRET not in message
    # the text of the file (a string) is fine
    check_known({"onboarding": {"contents": json.dumps(blob)}})
