"""Reactor-driven remediation, decided in plain Python: which job returns to act on, and how often.

The master trusts no minion. A minion can make the master fire any event it likes, envelope
included (``event.fire_master`` and beacons send the ``events`` form, which Salt fires as the
minion wrote it, ``salt/job/<jid>/ret/<other minion>`` tags too). So an event is only a hint:
the ``mdeprereq.remediate`` runner (the reactor's target) takes from it nothing but a jid and a
minion id, both validated here, and then reads that minion's return from the master's job cache,
where Salt keys it by the id the master authenticated. Only such a return, and the checks the
runner runs on the minion itself to confirm, are stored or acted on.

* :func:`parse_return_tag` and :func:`validate_minion_id` validate what a hint may carry;
* :func:`acts_on` says whether a job (its load from the job cache) is one the reactor acts on: a
  ``mdeprereq.check`` run by the minion's schedule or with ``fire_event=True``, never the
  runner's own confirming checks;
* :func:`validate_result` accepts only ``mdeprereq.check``'s shape, with known check IDs and
  bounded sizes;
* :func:`decide` is the per-minion rate limit: at most ``max_attempts`` failed remediations within
  ``window`` seconds, then one ``gave_up`` and silence until the window has passed; a job acted on
  once is never acted on again, so replaying a minion's old return can't spend its attempts;
* :func:`finish` and :func:`reset` update a minion's record after an attempt, or when it reports
  ready.

Every function takes the current time and the minion's record (a JSON-able dict) and returns a new
record; nothing here reads a clock, a file or the network.
"""

import dataclasses
import re

from . import result as result_schema
from .checks import CHECKS
from .errors import MdeprereqError, SettingsError
from .result import FAIL, short

CHECK_TAG_PREFIX = "mdeprereq/check/"
REMEDIATION_TAG_PREFIX = "mdeprereq/remediation/"
READY, NOTREADY = "ready", "notready"

# Outcomes of a remediation, each with its own event tag mdeprereq/remediation/<outcome>/<id>
FIXED = "fixed"
FAILED = "failed"
GAVE_UP = "gave_up"

# Decisions of the rate limit
REMEDIATE = "remediate"
GIVE_UP = "give_up"
SUPPRESSED = "suppressed"  # gave up within the window: nothing, not even another event
BUSY = "busy"  # a remediation of this minion is still running

DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_WINDOW = 3600
# A remediation that never finished (the runner died) stops blocking new ones after this long
DEFAULT_STALE_AFTER = 900


class InvalidEvent(MdeprereqError):
    """An event the remediation must ignore; the message says why."""


@dataclasses.dataclass(frozen=True)
class RemediationSettings:
    """``mdeprereq:remediation``: the rate limit."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    window: float = DEFAULT_WINDOW

    @classmethod
    def from_raw(cls, raw=None):
        """Validate ``{"max_attempts": ..., "window": ...}`` (None or missing: the defaults)."""
        if raw in (None, ""):
            raw = {}
        if not isinstance(raw, dict):
            raise SettingsError(
                f"mdeprereq:remediation must be a mapping (max_attempts, window), got {raw!r}"
            )
        unknown = sorted(set(raw) - {"max_attempts", "window"})
        if unknown:
            raise SettingsError(
                f"mdeprereq:remediation: unknown key(s) {', '.join(map(str, unknown))}; "
                "known: max_attempts, window"
            )
        max_attempts = raw.get("max_attempts")
        window = raw.get("window")
        if max_attempts is None:
            max_attempts = DEFAULT_MAX_ATTEMPTS
        if window is None:
            window = DEFAULT_WINDOW
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise SettingsError(
                f"mdeprereq:remediation:max_attempts must be a whole number >= 1, "
                f"got {max_attempts!r}"
            )
        if isinstance(window, bool) or not isinstance(window, (int, float)) or not window > 0:
            raise SettingsError(
                f"mdeprereq:remediation:window must be a number of seconds > 0, got {window!r}"
            )
        return cls(max_attempts=max_attempts, window=float(window))


# -- tags and ids ---------------------------------------------------------------------------------
def check_tag(ready, minion_id):
    """The tag ``mdeprereq.check fire_event=True`` sends: ``mdeprereq/check/<state>/<id>`` (an
    event for whoever listens; the remediation acts on the job's return, not on this)."""
    return f"{CHECK_TAG_PREFIX}{READY if ready else NOTREADY}/{minion_id}"


def remediation_tag(outcome, minion_id):
    """``mdeprereq/remediation/<fixed|failed|gave_up>/<id>``: what the runner fires."""
    return f"{REMEDIATION_TAG_PREFIX}{outcome}/{minion_id}"


# A Salt job id: YYYYmmddHHMMSSffffff (salt.utils.jid.gen_jid), optionally _<suffix> digits
JID = re.compile(r"^[0-9]{20}(?:_[0-9]{1,10})?$")
RETURN_TAG = re.compile(r"^salt/job/(?P<jid>[^/]+)/ret/(?P<minion>.+)$", re.DOTALL)
MAX_MINION_ID = 255  # a file name's limit on Linux: Salt keeps a file per minion key


def validate_minion_id(minion_id):
    """``minion_id`` if it can be a minion id (Salt's own rules, stricter: no ``/``, ``\\``,
    NUL, control characters, ``.`` or ``..``, at most 255 characters); else :class:`InvalidEvent`.

    The runner also asks ``salt.utils.verify.valid_id`` and requires an accepted key."""
    if not isinstance(minion_id, str) or not minion_id:
        raise InvalidEvent(f"not a minion id: {short(minion_id)}")
    if (
        len(minion_id) > MAX_MINION_ID
        or minion_id in (".", "..")
        or any(char in minion_id for char in "/\\")
        or any(ord(char) < 32 or ord(char) == 127 for char in minion_id)
    ):
        raise InvalidEvent(f"not a valid minion id: {short(minion_id)}")
    return minion_id


def validate_jid(jid):
    """``jid`` as text if it is a Salt job id, else :class:`InvalidEvent`."""
    if not isinstance(jid, str) or not JID.match(jid):
        raise InvalidEvent(f"not a job id: {short(jid)}")
    return jid


def parse_return_tag(tag):
    """``(jid, minion id)`` of a job return tag ``salt/job/<jid>/ret/<id>``, both validated;
    :class:`InvalidEvent` for anything else."""
    match = RETURN_TAG.match(tag) if isinstance(tag, str) and len(tag) < 512 else None
    if match is None:
        raise InvalidEvent(f"not a job return tag: {short(tag)}")
    return validate_jid(match["jid"]), validate_minion_id(match["minion"])


CHECK_FUNCTION = "mdeprereq.check"


def acts_on(load):
    """Whether the reactor acts on the returns of the job whose load (from the job cache) is
    ``load``: ``mdeprereq.check`` run by the minion's schedule (``mde.schedule``) or asked with
    ``fire_event=True``. The runner's own confirming checks are neither, so it can't loop."""
    if not isinstance(load, dict) or load.get("fun") != CHECK_FUNCTION:
        return False
    if load.get("schedule"):
        return True
    for arg in load.get("arg") or load.get("fun_args") or []:
        if isinstance(arg, dict) and arg.get("fire_event") is True:
            return True
        if isinstance(arg, str) and arg.replace(" ", "").lower() == "fire_event=true":
            return True
    return False


# -- the payload ---------------------------------------------------------------------------------
# What one result may hold: a real one is a few kilobytes; anything far bigger is refused
MAX_TEXT = 4096  # characters of a message, a remediation, a fact string
MAX_DEPTH = 8  # nesting of facts
MAX_ITEMS = 20000  # values in one result, all checks together


def _bounded(value, depth, budget):
    """Walk ``value``; :class:`InvalidEvent` when it is too deep, too big or not plain data."""
    budget[0] -= 1
    if budget[0] < 0:
        raise InvalidEvent(f"the result holds more than {MAX_ITEMS} values")
    if depth > MAX_DEPTH:
        raise InvalidEvent(f"the result is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise InvalidEvent(f"a text of {len(value)} characters (at most {MAX_TEXT})")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or len(key) > 256:
                raise InvalidEvent(f"a key that is not a short text: {short(key)}")
            _bounded(item, depth + 1, budget)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _bounded(item, depth + 1, budget)
    elif not (value is None or isinstance(value, (bool, int, float))):
        raise InvalidEvent(f"a value of type {type(value).__name__}")


def validate_result(result, deep=True):
    """Raise :class:`InvalidEvent` unless ``result`` has ``mdeprereq.check``'s shape
    (:func:`.result.validate`, the schema's one validator) within this module's bounds.

    Only the check IDs of :data:`CHECKS`; messages and remediations at most :data:`MAX_TEXT`
    characters; with ``deep`` (the remediation runner, one result at a time) every value of the
    entries too: texts, nesting and size bounded (:data:`MAX_DEPTH`, :data:`MAX_ITEMS`). The
    report (10,000 results at a time) keeps only digests of bounded size, so it skips the walk.
    Extra top-level keys are allowed; the summary must match the entries and ``ready`` must be
    false exactly when a check failed.
    """
    budget = [MAX_ITEMS]

    def bounded(check_id, entry):
        if deep:
            _bounded(entry, 1, budget)
        elif len(entry["message"]) > MAX_TEXT or len(entry["remediation"] or "") > MAX_TEXT:
            raise InvalidEvent(f"check {check_id}: a text longer than {MAX_TEXT} characters")

    result_schema.validate(result, known=CHECKS, each=bounded, error=InvalidEvent)


def failing(result, fixable=None):
    """IDs of the failing checks of a result, in its order (``fixable`` True/False filters)."""
    return [
        check_id
        for check_id, entry in result["checks"].items()
        if entry["status"] == FAIL and (fixable is None or entry["fixable"] is fixable)
    ]


# -- the rate limit ------------------------------------------------------------------------------
def new_record():
    """A minion's remediation record before anything happened."""
    return {"attempts": [], "gave_up": None, "in_progress": None, "last": None, "jobs": []}


def _normalized(record):
    base = new_record()
    if isinstance(record, dict):
        attempts = record.get("attempts")
        if isinstance(attempts, list):
            base["attempts"] = [t for t in attempts if isinstance(t, (int, float))]
        for key in ("gave_up", "in_progress"):
            if isinstance(record.get(key), (int, float)):
                base[key] = record[key]
        if isinstance(record.get("last"), dict):
            base["last"] = dict(record["last"])
        jobs = record.get("jobs")
        if isinstance(jobs, list):
            base["jobs"] = [jid for jid in jobs if isinstance(jid, str) and JID.match(jid)]
    return base


# Jobs remembered per minion: at the default schedule (6 h) far longer than Salt keeps jobs
# (keep_jobs_seconds, 24 h), so a return still in the job cache is never acted on twice
KEPT_JOBS = 64


def take_job(record, jid):
    """``(record, new)``: whether job ``jid`` was not acted on for this minion yet, and the
    record that remembers it. A replayed return is not new: it is never acted on twice, and can't
    spend the minion's attempts. (Not an order of jids: a scheduled job's jid comes from the
    minion's clock, a published one's from the master's.)"""
    record = _normalized(record)
    if jid in record["jobs"]:
        return record, False
    record["jobs"] = [*record["jobs"], jid][-KEPT_JOBS:]
    return record, True


@dataclasses.dataclass(frozen=True)
class Decision:
    """What to do about a not-ready event, and the record to store before doing it."""

    action: str  # REMEDIATE, GIVE_UP, SUPPRESSED or BUSY
    record: dict
    attempts: int  # failed attempts within the window (before this one)
    reason: str


def decide(record, now, settings, stale_after=DEFAULT_STALE_AFTER):
    """Whether to remediate a minion that reported not ready at ``now``.

    Failed attempts older than the window are forgotten. With ``max_attempts`` of them in the
    window the answer is ``give_up`` once (the runner fires ``gave_up``) and then ``suppressed``
    until the window has passed since giving up. A remediation still running (and not older than
    ``stale_after`` seconds) makes it ``busy``. On ``remediate`` the returned record marks this
    attempt as in progress; store it before applying anything.
    """
    record = _normalized(record)
    since = now - settings.window
    record["attempts"] = [t for t in record["attempts"] if t > since]
    attempts = len(record["attempts"])
    if record["in_progress"] is not None and now - record["in_progress"] < stale_after:
        return Decision(BUSY, record, attempts, "a remediation of this minion is still running")
    record["in_progress"] = None
    if record["gave_up"] is not None:
        if record["gave_up"] > since:
            return Decision(
                SUPPRESSED,
                record,
                attempts,
                f"gave up {now - record['gave_up']:.0f} s ago after "
                f"{settings.max_attempts} failed attempt(s); waiting for the "
                f"{settings.window:.0f} s window to pass",
            )
        record["gave_up"] = None
    if attempts >= settings.max_attempts:
        record["gave_up"] = now
        record["last"] = {"outcome": GAVE_UP, "time": now}
        return Decision(
            GIVE_UP,
            record,
            attempts,
            f"{attempts} failed remediation(s) within {settings.window:.0f} s "
            f"(max_attempts {settings.max_attempts})",
        )
    record["in_progress"] = now
    return Decision(
        REMEDIATE, record, attempts, f"attempt {attempts + 1} of {settings.max_attempts}"
    )


def finish(record, now, fixed, started=None):
    """The record after a remediation that started at ``started`` (default: the one in progress).

    A fix clears the failed attempts; a failure keeps them, this one included.
    """
    record = _normalized(record)
    started = started if started is not None else record["in_progress"]
    record["in_progress"] = None
    if fixed:
        record["attempts"] = []
        record["gave_up"] = None
    elif started is not None and started not in record["attempts"]:
        record["attempts"].append(started)
    record["last"] = {"outcome": FIXED if fixed else FAILED, "time": now}
    return record


def release(record):
    """The record when a remediation ends without an attempt (nothing was left to fix)."""
    record = _normalized(record)
    record["in_progress"] = None
    return record


def reset(record):
    """The record of a minion that reported ready: no failed attempt counts any more (the last
    outcome stays, for the report)."""
    record = _normalized(record)
    record["attempts"] = []
    record["gave_up"] = None
    return record


def fixed(after, check_ids):
    """Whether a re-check ``after`` a remediation shows none of ``check_ids`` failing.

    A check missing from ``after`` (or a malformed ``after``) counts as not fixed.
    """
    entries = after.get("checks") if isinstance(after, dict) else None
    if not isinstance(entries, dict):
        return False
    return all(
        isinstance(entries.get(check_id), dict) and entries[check_id].get("status") != FAIL
        for check_id in check_ids
    )
