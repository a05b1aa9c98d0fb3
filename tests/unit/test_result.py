"""result: the schema's one validator (validate, entry_problem) and the outputter's lenient test."""

import copy

import pytest

from mdeprereq_engine import remediation, report, result, tables
from mdeprereq_engine.checks import CHECKS
from tests.unit.results import make_result

RESULT = make_result({"distro": "pass", "kernel": "fail", "memory": "warn"}, fixable={"kernel"})


def changed(change):
    value = copy.deepcopy(RESULT)
    change(value)
    return value


def problem(value, **kwargs):
    try:
        result.validate(value, **kwargs)
    except result.InvalidResult as exc:
        return str(exc)
    return None


def test_a_built_result_is_valid():
    assert problem(RESULT) is None
    assert problem(RESULT, known=CHECKS) is None
    assert problem({**RESULT, "grains": {"os": "Debian"}}) is None  # extra keys are allowed


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param([RESULT], "the payload is not a mapping but list", id="list"),
        pytest.param(changed(lambda r: r.pop("summary")), "the payload lacks summary", id="lacks"),
        pytest.param(
            changed(lambda r: r.update(ready="no")), "ready is not a boolean: 'no'", id="ready"
        ),
        pytest.param(
            changed(lambda r: r.update(checks=[])), "checks is not a non-empty mapping", id="checks"
        ),
        pytest.param(
            changed(lambda r: r["checks"].update({5: r["checks"]["distro"]})),
            "unknown check ID 5",
            id="id-not-text",
        ),
        pytest.param(
            changed(lambda r: r["checks"]["kernel"].pop("fixable")),
            "check kernel: not an entry with status, message, remediation, fixable, facts",
            id="entry-keys",
        ),
        pytest.param(
            changed(lambda r: r["checks"]["kernel"].update(remediation=["x"])),
            "check kernel: remediation is not a string",
            id="remediation",
        ),
        pytest.param(
            changed(lambda r: r["summary"].update(pass_=1)),
            "the summary <dict of 5> does not match the entries "
            "{'pass': 1, 'warn': 1, 'fail': 1, 'skip': 0}",
            id="summary",
        ),
        pytest.param(
            changed(lambda r: r.update(ready=True)),
            "ready is True but 1 check(s) failed",
            id="ready",
        ),
    ],
)
def test_what_is_not_a_result_and_why(value, message):
    assert problem(value) == message


def test_known_ids_bound_the_result():
    unknown = changed(lambda r: r["checks"].update(web=r["checks"]["distro"]))
    unknown["summary"]["pass"] += 1
    assert problem(unknown) is None  # any text, without known
    assert problem(unknown, known=CHECKS) == "unknown check ID 'web'"
    assert problem(RESULT, known=("distro", "kernel")) == "3 checks, more than the 2 known"


def test_each_entry_goes_to_the_callers_bounds_with_its_error():
    seen = []

    class Refused(ValueError):
        pass

    def bounds(check_id, entry):
        seen.append(check_id)
        if check_id == "memory":
            raise Refused("too big")

    with pytest.raises(Refused, match="too big"):
        result.validate(RESULT, each=bounds, error=Refused)
    assert seen == ["distro", "kernel", "memory"]
    with pytest.raises(Refused, match="not a mapping"):
        result.validate("text", error=Refused)


def test_entry_problem():
    assert result.entry_problem(RESULT["checks"]["kernel"]) is None
    assert result.entry_problem("pass").startswith("not an entry with status")
    assert result.entry_problem({**RESULT["checks"]["kernel"], "status": "ok"}) == (
        "unknown status 'ok'"
    )


def test_the_outputter_is_lenient_on_purpose():
    # a summary that does not add up, an unknown ID, a message that is not text: still drawn
    odd = changed(lambda r: r["summary"].update(fail=9))
    odd["checks"]["web"] = {**RESULT["checks"]["distro"], "message": 5}
    assert result.looks_like_result(odd)
    assert tables.is_result(odd)
    assert problem(odd) is not None  # what acts on a result refuses it
    assert not result.looks_like_result(changed(lambda r: r["checks"]["distro"].update(status="x")))
    assert not result.looks_like_result({"ready": True, "checks": {}})  # no summary
    assert result.looks_like_entry(RESULT["checks"]["distro"])
    assert not result.looks_like_entry({"status": "pass"})


def test_the_master_validates_through_the_schema(monkeypatch):
    calls = []
    real = result.validate

    def recorded(value, **kwargs):
        calls.append(sorted(kwargs))
        return real(value, **kwargs)

    monkeypatch.setattr(result, "validate", recorded)
    remediation.validate_result(RESULT)
    assert report.is_result(RESULT)
    assert "checks" in report.observe(RESULT)
    assert calls == [["each", "error", "known"]] * 3
    with pytest.raises(remediation.InvalidEvent, match="unknown check ID 'web'"):
        remediation.validate_result(changed(lambda r: r["checks"].update(web={})))


def test_the_master_keeps_its_bounds_on_sizes():
    long = changed(lambda r: r["checks"]["kernel"].update(message="x" * (remediation.MAX_TEXT + 1)))
    with pytest.raises(remediation.InvalidEvent, match="check kernel: a text longer than"):
        remediation.validate_result(long, deep=False)
    with pytest.raises(remediation.InvalidEvent, match="a text of 4097 characters"):
        remediation.validate_result(long)
    assert problem(long) is None  # the schema itself has no size bounds
    assert report.observe(long) == {"malformed": "check kernel: a text longer than 4096 characters"}
