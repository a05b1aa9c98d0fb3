"""``mdatp health``, whatever layout the installed CLI prints, as one normalized mapping.

The real CLI prints three layouts (public samples of each, cited, in
``tests/unit/mdatp_health/``):

- plain ``mdatp health``: ``name<padding to 44 columns>: value`` lines; strings quoted,
  booleans, numbers and lists bare, dates bare (``Apr 10, 2024 at 01:34:28 PM``), ``unavailable``
  where there is no value, `` [managed]`` after a value the managed settings file set, and
  ``ATTENTION: No license found. ...`` as the first line while unlicensed;
- ``mdatp health --field NAME``: that value alone, in the same notation (after the ATTENTION
  line when unlicensed);
- ``mdatp health --output json``: one object with camelCase keys, settings wrapped as
  ``{"displayValue", "isManaged", "value"}``, ``definitionsStatus: {"$type": "upToDate"}`` and
  ``productExpiration`` in milliseconds since the epoch (a string).

:func:`parse_plain` and :func:`parse_json` turn either into the same snake_case fields, and
:func:`normalize` into the mapping :data:`MAPPING_KEYS` documents. Output that can't be read
raises :class:`HealthParseError` naming the field, never something else.
"""

import datetime
import json
import re

from .errors import MdeprereqError

ATTENTION = "ATTENTION:"
MANAGED_TAG = " [managed]"
UNAVAILABLE = "unavailable"
PLAIN_DATE = "%b %d, %Y at %I:%M:%S %p"  # Apr 10, 2024 at 01:34:28 PM (the C locale's names)
# A plain line: the field name, padding, ": ", the value
_PLAIN_LINE = re.compile(r"^([a-z][a-z0-9_]*) +: (.*)$")
_INTEGER = re.compile(r"^-?\d+$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Wrapped settings of the JSON layout
_SETTING_KEYS = {"displayValue", "isManaged", "value"}
# What the daemon-less CLI says (Microsoft's installer: "Could not connect to the daemon";
# an old CLI in MicrosoftDocs/windows-itpro-docs#6154: "Failed to connect")
_NO_DAEMON = re.compile(r"could not connect|failed to connect|not running", re.IGNORECASE)

# The normalized mapping ``normalize`` returns (documented for admins; stable keys)
MAPPING_KEYS = {
    "installed": "the mdatp command exists on this host",
    "daemon_running": "the CLI reached wdavdaemon (it answers nothing without it)",
    "error": "why the CLI gave no report (None when it did)",
    "healthy": "mdatp's own verdict",
    "health_issues": "mdatp's list of health issues ([] when healthy; None: not printed)",
    "licensed": "onboarded (an expired build also reports false)",
    "expired": "product_expiration is in the past (then licensed false means 'upgrade')",
    "org_id": "the tenant's org id (None while unlicensed: the CLI prints unavailable)",
    "app_version": "the product version, e.g. 101.25042.0003",
    "engine_version": "the antivirus engine's version",
    "release_ring": "Production, InsiderFast (insiders-fast), External (insiders-slow), ...",
    "product_expiration": "the ISO date (YYYY-MM-DD) this build expires",
    "passive_mode": "passive_mode_enabled",
    "real_time_protection": "real_time_protection_enabled",
    "real_time_protection_subsystem": "fanotify, or another (e.g. unavailable)",
    "supplementary_events_subsystem": "ebpf or auditd",
    "definitions_status": "snake_case: up_to_date, ...",
    "definitions_version": "the security intelligence version",
    "definitions_updated_minutes_ago": "minutes since the last definitions update",
    "conflicting_applications": "mdatp's list of conflicting applications",
    "managed": "names of the settings the managed file sets ([managed] / isManaged)",
    "source": "json or plain: which layout was read",
    "fields": "every field the CLI printed, snake_case, values unwrapped",
}
BOOLEAN_FIELDS = (
    "healthy",
    "licensed",
    "passive_mode_enabled",
    "real_time_protection_enabled",
    "real_time_protection_available",
)
LIST_FIELDS = ("health_issues", "conflicting_applications")
INTEGER_FIELDS = ("definitions_updated_minutes_ago",)
STRING_FIELDS = (
    "org_id",
    "app_version",
    "engine_version",
    "release_ring",
    "real_time_protection_subsystem",
    "supplementary_events_subsystem",
    "definitions_status",
    "definitions_version",
)


class HealthParseError(MdeprereqError):
    """Output of ``mdatp health`` that can't be read; ``field`` names where."""

    def __init__(self, field, message):
        super().__init__(f"mdatp health: field {field!r}: {message}")
        self.field = field


def snake_case(name):
    """``passiveModeEnabled`` -> ``passive_mode_enabled``; ``upToDate`` -> ``up_to_date``."""
    return _CAMEL.sub("_", name).lower()


def strip_attention(text):
    """``text`` without the ``ATTENTION: ...`` first line; and that line (or None)."""
    lines = text.strip("\n").splitlines()
    if lines and lines[0].startswith(ATTENTION):
        return "\n".join(lines[1:]), lines[0]
    return "\n".join(lines), None


def plain_value(field, text):
    """One value in the plain notation: ``true`` -> True, ``"x"`` -> 'x', ``[...]`` -> list,
    ``159`` -> 159, ``unavailable`` -> None; anything else (a date) stays text."""
    text = text.strip()
    if text == UNAVAILABLE:
        return None
    if text in ("true", "false"):
        return text == "true"
    if _INTEGER.match(text):
        return int(text)
    if text[:1] in ('"', "[", "{"):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise HealthParseError(field, f"{text[:80]!r} is not valid ({exc})") from exc
    return text


def parse_plain(text):
    """Plain ``mdatp health`` output -> ``(fields, managed, attention)``: ``{name: value}``,
    the set of names tagged `` [managed]``, and the ATTENTION line (or None)."""
    body, attention = strip_attention(text)
    raw, order = {}, []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        match = _PLAIN_LINE.match(line)
        if match:
            name, value = match.groups()
            if name in raw:
                raise HealthParseError(name, f"printed twice (line {number})")
            raw[name] = value
            order.append(name)
        elif order:  # a long value wrapped onto the next line (seen in public samples)
            raw[order[-1]] += line
        else:
            raise HealthParseError(f"line {number}", f"{line[:80]!r} is not 'name : value'")
    fields, managed = {}, set()
    for name in order:
        value = raw[name]
        if value.endswith(MANAGED_TAG):
            value = value[: -len(MANAGED_TAG)]
            managed.add(name)
        fields[name] = plain_value(name, value)
    if not fields:
        raise HealthParseError("healthy", "no 'name : value' line in the output")
    return fields, managed, attention


def _json_value(value):
    if isinstance(value, dict) and "$type" in value and len(value) == 1:
        return snake_case(value["$type"])  # definitionsStatus: {"$type": "upToDate"}
    return value


def parse_json(text):
    """``mdatp health --output json`` -> ``(fields, managed, None)`` like :func:`parse_plain`:
    snake_case names, wrapped settings unwrapped (``isManaged`` -> ``managed``),
    ``productExpiration`` kept as its text (``normalize`` reads it)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise HealthParseError("(json)", f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise HealthParseError("(json)", f"not one JSON object but {type(data).__name__}")
    fields, managed = {}, set()
    for key, value in data.items():
        if key.startswith("$"):
            continue
        name = snake_case(key)
        if isinstance(value, dict) and "value" in value and set(value) <= _SETTING_KEYS:
            if value.get("isManaged") is True:
                managed.add(name)
            fields[name] = value["value"]
        else:
            fields[name] = _json_value(value)
    return fields, managed, None


def expiration_date(value, field="product_expiration"):
    """The ISO date of a product_expiration value: milliseconds since the epoch (JSON, a string
    or a number), a plain date (``Apr 10, 2024 at 01:34:28 PM``), or None (``unavailable``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise HealthParseError(field, f"{value!r} is not a date")
    if isinstance(value, int) or (isinstance(value, str) and _INTEGER.match(value)):
        try:
            moment = datetime.datetime.fromtimestamp(int(value) / 1000, datetime.UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise HealthParseError(field, f"{value!r} is not a time: {exc}") from exc
        return moment.date().isoformat()
    if isinstance(value, str):
        try:
            return datetime.datetime.strptime(value.strip(), PLAIN_DATE).date().isoformat()
        except ValueError as exc:
            raise HealthParseError(field, f"{value!r} is not a date like 'Apr 10, 2024 at "
                                   "01:34:28 PM'") from exc  # fmt: skip
    raise HealthParseError(field, f"{value!r} is not a date")


def _typed(name, value, kind, label):
    # bool is an int in Python: true is not a number, 1 is not true
    if value is not None and (
        not isinstance(value, kind) or isinstance(value, bool) != (kind is bool)
    ):
        raise HealthParseError(name, f"{value!r} is not {label}")
    return value


def typed_value(name, value):
    """``value`` of field ``name`` checked against the type the field has (raises
    HealthParseError naming it), with product_expiration as an ISO date."""
    if name in BOOLEAN_FIELDS:
        return _typed(name, value, bool, "true or false")
    if name in LIST_FIELDS:
        return _typed(name, value, list, "a list")
    if name in INTEGER_FIELDS:
        return _typed(name, value, int, "a number")
    if name in STRING_FIELDS:
        return _typed(name, value, str, "a string")
    if name == "product_expiration":
        return expiration_date(value)
    return value


def parse_field(name, text):
    """``mdatp health --field name`` output -> its value (typed as :func:`typed_value`)."""
    body, _ = strip_attention(text)
    lines = [line for line in body.splitlines() if line.strip()]
    if not lines:
        raise HealthParseError(name, "no value printed")
    return typed_value(name, plain_value(name, lines[-1]))


def normalize(fields, managed=(), *, source, today=None):
    """The documented mapping (:data:`MAPPING_KEYS`) of parsed ``fields``."""
    typed = {name: typed_value(name, value) for name, value in fields.items()}
    expiration = typed.get("product_expiration")
    today = today or datetime.datetime.now(datetime.UTC).date()
    return {
        "installed": True,
        "daemon_running": True,
        "error": None,
        "healthy": typed.get("healthy"),
        "health_issues": typed.get("health_issues"),
        "licensed": typed.get("licensed"),
        "expired": None if expiration is None else expiration < today.isoformat(),
        "org_id": typed.get("org_id") or None,
        "app_version": typed.get("app_version"),
        "engine_version": typed.get("engine_version"),
        "release_ring": typed.get("release_ring"),
        "product_expiration": expiration,
        "passive_mode": typed.get("passive_mode_enabled"),
        "real_time_protection": typed.get("real_time_protection_enabled"),
        "real_time_protection_subsystem": typed.get("real_time_protection_subsystem"),
        "supplementary_events_subsystem": typed.get("supplementary_events_subsystem"),
        "definitions_status": typed.get("definitions_status"),
        "definitions_version": typed.get("definitions_version"),
        "definitions_updated_minutes_ago": typed.get("definitions_updated_minutes_ago"),
        "conflicting_applications": typed.get("conflicting_applications"),
        "managed": sorted(managed),
        "source": source,
        "fields": typed,
    }


def parse(text, *, today=None):
    """Any full ``mdatp health`` output (JSON or plain) -> the normalized mapping."""
    stripped = text.strip()
    if stripped.startswith("{"):
        fields, managed, _ = parse_json(stripped)
        return normalize(fields, managed, source="json", today=today)
    fields, managed, _ = parse_plain(stripped)
    return normalize(fields, managed, source="plain", today=today)


def unavailable(installed, error):
    """The mapping when the CLI gave no report: not installed, or no daemon to ask."""
    mapping = dict.fromkeys(MAPPING_KEYS)
    mapping.update(
        installed=installed,
        daemon_running=False,
        error=error,
        managed=[],
        fields={},
    )
    return mapping


def no_daemon(output):
    """Whether a failed CLI's output says it could not reach its daemon."""
    return bool(_NO_DAEMON.search(output or ""))


class HealthCommandError(MdeprereqError):
    """``mdatp health`` failed, and not for want of its daemon."""


MAX_OUTPUT = 1024 * 1024  # a health report is a few KB; more is not mdatp's


def _said(completed):
    _, stdout, stderr = completed
    return ((stderr or "").strip() or (stdout or "").strip())[:500]


def ask(run, *, today=None):
    """The normalized mapping of ``mdatp health --output json``, or of the plain report when an
    older CLI has no JSON: the one way the module and the agent checks ask mdatp.

    ``run(arguments)`` runs ``mdatp health <arguments>`` and returns ``(returncode, stdout,
    stderr)``, or None when there is no mdatp command. No command, or no daemon to answer (the
    CLI can't report without it), gives :func:`unavailable`'s mapping; a CLI that fails
    otherwise (or prints more than any report) raises :class:`HealthCommandError`, output that
    can't be read :class:`HealthParseError`.
    """
    completed = run(["--output", "json"])
    if completed is None:
        return unavailable(False, "no mdatp command to ask")
    if completed[0] != 0 and no_daemon(_said(completed)):
        return unavailable(True, _said(completed))
    if completed[0] != 0:  # an older CLI without --output json: its plain report
        completed = run([])
        if completed is None:
            return unavailable(False, "no mdatp command to ask")
        if completed[0] != 0:
            if no_daemon(_said(completed)):
                return unavailable(True, _said(completed))
            raise HealthCommandError(f"mdatp health failed ({completed[0]}): {_said(completed)}")
    stdout = completed[1] or ""
    if len(stdout) > MAX_OUTPUT:
        raise HealthCommandError(f"mdatp health printed {len(stdout)} bytes, more than a report")
    return parse(stdout, today=today)


def expired_message(mapping):
    """ "mdatp 101.X expired on <date>: upgrade it" when the mapping is an expired build."""
    if not mapping.get("expired"):
        return None
    return (
        f"mdatp {mapping.get('app_version') or '(unknown version)'} expired on "
        f"{mapping['product_expiration']}: upgrade it (every build expires 9 months after its "
        "release and then reports licensed false, 'missing license', like a failed onboarding)"
    )
