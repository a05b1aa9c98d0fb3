"""tables: the text the mdeprereq outputter prints."""

import re

from mdeprereq_engine import report, tables
from tests.unit.results import distro_facts, entry, make_result

COLORS = {
    "pass": "<G>",
    "warn": "<Y>",
    "fail": "<R>",
    "skip": "<C>",
    "ready": "<G>",
    "notready": "<R>",
    "unknown": "<Y>",
    "reset": "</>",
}
RESULT = make_result(
    {"distro": "pass", "systemd": "fail", "memory": "warn", "mdatp_user": "fail", "cpu": "skip"},
    fixable={"mdatp_user"},
)


def plain(lines):
    return [re.sub(r"</?[A-Z]?>", "", line) for line in lines]


def test_a_result_is_one_table_failures_first():
    lines = tables.render_minion("web1", RESULT)
    assert lines[0] == "web1: NOT READY (1 pass, 1 warn, 2 fail, 1 skip)"
    assert lines[1].split() == ["STATUS", "CHECK", "MESSAGE", "FIX"]
    rows = [line.split()[:2] for line in lines[2:]]
    assert rows == [
        ["FAIL", "systemd"],
        ["FAIL", "mdatp_user"],
        ["WARN", "memory"],
        ["SKIP", "cpu"],
        ["PASS", "distro"],
    ]
    # the columns line up: every message starts where the header says
    column = lines[1].index("MESSAGE")
    assert all(line[column:].startswith("the check says") for line in lines[2:])
    fixes = lines[1].index("FIX")
    assert lines[3][fixes:] == "[fixable] Apply the fix."
    assert lines[2][fixes:] == "Apply the fix."
    assert lines[-1][fixes:] == "-"


def test_colours_by_status_without_breaking_alignment():
    coloured = tables.render_minion("web1", RESULT, colors=COLORS)
    assert coloured[0] == "web1: <R>NOT READY</> (1 pass, 1 warn, 2 fail, 1 skip)"
    assert coloured[2].startswith("<R>FAIL  </>")
    assert coloured[-1].startswith("<G>PASS  </>")
    assert plain(coloured) == tables.render_minion("web1", RESULT)
    ready = tables.render_minion("web1", make_result({"distro": "pass"}), colors=COLORS)
    assert ready[0].startswith("web1: <G>READY</>")


def test_long_text_wraps_within_its_column():
    long = make_result({"fanotify": "fail"})
    long["checks"]["fanotify"]["message"] = "word " * 60
    lines = tables.render_minion("web1", long, width=100)
    column = lines[1].index("MESSAGE")
    assert len(lines) > 4
    assert all(len(line) <= 100 for line in lines)
    assert all(line[:column].strip() == "" for line in lines[3:])  # continuation lines


def test_a_single_check_entry():
    lines = tables.render_minion(
        "web1", entry("pass", "kernel 6.1 is new enough"), check_id="kernel"
    )
    assert lines[0] == "web1:"
    assert lines[2].split()[:3] == ["PASS", "kernel", "kernel"]
    unnamed = tables.render_minion("web1", entry("fail"))
    assert unnamed[2].split()[:2] == ["FAIL", "-"]


def test_anything_else_is_not_rendered():
    for other in ("text", None, 5, [], {}, {"ready": True}, {"status": "pass"}):
        assert tables.render_minion("web1", other) is None
    assert not tables.is_report(RESULT)


def test_the_report_table():
    observations = [
        ("web1", 0.0, make_result({"distro": "pass"}, facts=distro_facts()), "job"),
        ("web2", 0.0, make_result({"distro": "pass", "systemd": "fail"}), "job"),
        ("old", None, "timeout", "job"),
    ] + [
        (
            f"m{n}",
            0.0,
            make_result({"distro": "pass", "systemd": "fail"}, facts=distro_facts("rhel", "9.4")),
            "job",
        )
        for n in range(7)
    ]
    records = report.latest(
        (minion, moment, report.observe(value), source)
        for minion, moment, value, source in observations
    )
    data = report.aggregate(records, {"web2": {"last": {"outcome": "gave_up", "time": 0.0}}})
    assert tables.is_report(data)
    lines = tables.render_report(data)
    text = "\n".join(lines)
    assert lines[0] == "mdeprereq report: 10 minion(s): 1 ready, 8 not ready, 1 unknown"
    failing = next(line for line in lines if line.startswith("systemd"))
    assert failing.split()[:2] == ["systemd", "8"]
    assert failing.endswith("(+3 more)")
    assert re.search(r"^rhel 9\.4\s+7\s+0\s+7\s+0$", text, re.M)
    web2 = next(line for line in lines if line.startswith("web2"))
    assert "NOT READY" in web2 and "systemd" in web2 and "gave_up" in web2
    old = next(line for line in lines if line.startswith("old "))
    assert "UNKNOWN" in old and "timeout" in old and old.split()[-2:] == ["-", "-"]
    assert not any(line.startswith("web1") for line in lines)  # ready minions are counted only
    coloured = tables.render_report(data, colors=COLORS)
    assert "<G>1 ready</>" in coloured[0]
    assert plain(coloured) == lines


def test_an_empty_report_says_where_results_come_from():
    lines = tables.render_report(report.aggregate({}))
    assert lines[0] == "mdeprereq report: 0 minion(s): 0 ready, 0 not ready, 0 unknown"
    assert "mde.schedule" in lines[1]
