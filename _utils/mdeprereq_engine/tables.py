"""Text tables for people: a ``mdeprereq.check`` return, and the fleet report.

The ``mdeprereq`` outputter (``--out=mdeprereq``, and the ``mdeprereq.report`` runner's default)
is a thin adapter over these functions. Colours are optional: pass ``colors`` mapping a status
(``pass``, ``warn``, ``fail``, ``skip``; ``ready``, ``notready``, ``unknown``) and ``reset`` to
terminal escape codes, or nothing for plain text. Columns are aligned on the visible text.
"""

import textwrap
import time
import unicodedata

from .result import FAIL, PASS, SKIP, STATUSES, WARN, looks_like_entry, looks_like_result

ORDER = {FAIL: 0, WARN: 1, SKIP: 2, PASS: 3}
REPORT_KEYS = ("total", "ready", "notready", "unknown", "failing", "distros", "minions")
DEFAULT_WIDTH = 120
MIN_TEXT_WIDTH = 20
GAP = "  "
EXAMPLES = 5


def clean(text):
    """``text`` with every control or format character (escape sequences, newlines, carriage
    returns, bidi overrides) shown as an escape (``\\x1b``, ``\\n``, ``\\u202e``): what a minion
    sent never drives the admin's terminal or forges a table line."""
    text = str(text)
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char == " " or unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co"):
            out.append(char)
        else:
            out.append(char.encode("unicode_escape").decode("ascii"))
    return "".join(out)


def _paint(text, key, colors):
    if not colors or not colors.get(key):
        return text
    return f"{colors[key]}{text}{colors.get('reset', '')}"


def _table(headers, rows, colors=None, wrap=None):
    """Aligned rows; ``rows`` are ``(cells, color key per cell or None)``; ``wrap`` maps a column
    index to its width (cells wrapped to several lines)."""
    wrap = wrap or {}
    wrapped_rows = []
    for cells, keys in rows:
        lines = [
            (textwrap.wrap(clean(cell), wrap[index]) or [""]) if index in wrap else [clean(cell)]
            for index, cell in enumerate(cells)
        ]
        wrapped_rows.append((lines, keys))
    widths = [len(header) for header in headers]
    for lines, _ in wrapped_rows:
        for index, cell_lines in enumerate(lines):
            widths[index] = max(widths[index], *(len(line) for line in cell_lines))
    last = len(headers) - 1
    out = [GAP.join(h.ljust(widths[i]) if i < last else h for i, h in enumerate(headers)).rstrip()]
    for lines, keys in wrapped_rows:
        for line_no in range(max(len(cell_lines) for cell_lines in lines)):
            cells = []
            for index, cell_lines in enumerate(lines):
                text = cell_lines[line_no] if line_no < len(cell_lines) else ""
                padded = text.ljust(widths[index]) if index < last else text
                key = keys[index] if keys and line_no == 0 else None
                cells.append(_paint(padded, key, colors) if key and text else padded)
            out.append(GAP.join(cells).rstrip())
    return out


# -- one minion's check return -------------------------------------------------------------------
# the outputter's test of what it can draw, lenient on purpose: see result.looks_like_result
is_entry = looks_like_entry
is_result = looks_like_result


def _fix(entry):
    if not entry.get("remediation"):
        return "-"
    return ("[fixable] " if entry.get("fixable") else "") + str(entry["remediation"])


def _text_widths(width, fixed):
    room = max(width - fixed - 2 * len(GAP), 2 * MIN_TEXT_WIDTH)
    message = max(MIN_TEXT_WIDTH, room * 11 // 20)
    return message, max(MIN_TEXT_WIDTH, room - message)


def render_checks(entries, colors=None, width=DEFAULT_WIDTH):
    """A table STATUS, CHECK, MESSAGE, FIX of ``{check ID: entry}``, failures first."""
    ordered = sorted(
        entries.items(), key=lambda item: ORDER.get(item[1]["status"], len(ORDER))
    )  # stable: the checks' own order within a status
    check_width = max([len("CHECK")] + [len(clean(check_id)) for check_id in entries])
    message_width, fix_width = _text_widths(width, len("STATUS") + check_width + len(GAP))
    rows = [
        (
            (entry["status"].upper(), check_id, entry["message"], _fix(entry)),
            (entry["status"], None, None, None),
        )
        for check_id, entry in ordered
    ]
    return _table(
        ("STATUS", "CHECK", "MESSAGE", "FIX"),
        rows,
        colors,
        wrap={2: message_width, 3: fix_width},
    )


def render_minion(minion, ret, colors=None, width=DEFAULT_WIDTH, check_id=None):
    """The lines for one minion's return of ``mdeprereq.check`` (or of one check, named
    ``check_id``), or None when ``ret`` is neither."""
    if is_result(ret):
        summary = ret["summary"]
        verdict = "ready" if ret["ready"] else "notready"
        counts = ", ".join(f"{clean(summary.get(status, 0))} {status}" for status in STATUSES)
        label = "READY" if ret["ready"] else "NOT READY"
        header = f"{clean(minion)}: {_paint(label, verdict, colors)} ({counts})"
        return [header, *render_checks(ret["checks"], colors, width)]
    if is_entry(ret):
        header = f"{clean(minion)}:"
        return [header, *render_checks({check_id or "-": ret}, colors, width)]
    return None


# -- the fleet report ----------------------------------------------------------------------------
def is_report(value):
    """Whether ``value`` is the ``mdeprereq.report`` runner's return."""
    return isinstance(value, dict) and all(key in value for key in REPORT_KEYS)


def _when(moment):
    if not isinstance(moment, (int, float)):
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(moment))


def _examples(minions):
    shown = ", ".join(minions[:EXAMPLES])
    more = len(minions) - EXAMPLES
    return f"{shown} (+{more} more)" if more > 0 else shown


def _remediation(row):
    last = row.get("remediation")
    if not isinstance(last, dict) or not last.get("outcome"):
        return "-"
    return f"{last['outcome']} {_when(last.get('time'))}"


def _failing_table(title, failing, colors):
    """``failing`` (check ID -> the minions it fails on) as a table: the check, how many
    minions, a few of them."""
    rows = [
        ((check_id, len(minions), _examples(minions)), ("fail", None, None))
        for check_id, minions in failing.items()
    ]
    return _table((title, "MINIONS", "WHICH"), rows, colors)


def render_report(report, colors=None):
    """The report as text: counts, failing checks, distributions, and every minion that is not
    ready (or unknown), with when it was last seen and the last remediation."""
    lines = [
        f"mdeprereq report: {report['total']} minion(s): "
        f"{_paint(str(report['ready']) + ' ready', 'ready', colors)}, "
        f"{_paint(str(report['notready']) + ' not ready', 'notready', colors)}, "
        f"{_paint(str(report['unknown']) + ' unknown', 'unknown', colors)}"
    ]
    if report["total"] == 0:
        lines.append(
            "No mdeprereq.check result found (run it, schedule it with the mde.schedule state, "
            "or enable the remediation reactor)."
        )
        return lines
    if report["failing"]:
        lines.append("")
        lines.extend(_failing_table("FAILING CHECK", report["failing"], colors))
    lines.append("")
    rows = [
        (
            (label, counts["total"], counts["ready"], counts["notready"], counts["unknown"]),
            None,
        )
        for label, counts in report["distros"].items()
    ]
    lines.extend(_table(("DISTRIBUTION", "MINIONS", "READY", "NOT READY", "UNKNOWN"), rows, colors))
    attention = [
        (minion, row) for minion, row in report["minions"].items() if row["status"] != "ready"
    ]
    if attention:
        lines.append("")
        rows = [
            (
                (
                    minion,
                    "NOT READY" if row["status"] == "notready" else "UNKNOWN",
                    row["distro"],
                    ", ".join(row["failing"]) or row.get("error") or "-",
                    _when(row.get("time")),
                    _remediation(row),
                ),
                (None, row["status"], None, None, None, None),
            )
            for minion, row in attention
        ]
        lines.extend(
            _table(
                ("MINION", "STATUS", "DISTRIBUTION", "FAILING", "LAST SEEN", "REMEDIATION"),
                rows,
                colors,
            )
        )
    if isinstance(report.get("agent"), dict):
        lines.extend(render_agent(report["agent"], colors))
    return lines


def _counted(counts):
    return ", ".join(f"{key} {value}" for key, value in counts.items()) or "-"


def render_agent(agent, colors=None):
    """The report's agent view (``report.agent_view``) as text."""
    installed = agent["installed"]
    lines = [
        "",
        f"mdatp agents: {installed} installed, {agent['not_installed']} not installed, "
        f"{agent['no_data']} without agent checks",
    ]
    if not installed and not agent["failing"]:
        return lines
    rows = [
        (("builds", _counted(agent["builds"])), None),
        (("release rings", _counted(agent["rings"])), None),
        (("protection", _counted(agent["modes"])), None),
        (("healthy", f"{agent['healthy']} (unhealthy {agent['unhealthy']})"), None),
        (("licensed", f"{agent['licensed']} (unlicensed {agent['unlicensed']})"), None),
        (("expired", str(agent["expired"])), ("fail" if agent["expired"] else None, None)),
        (("expiring in 30 days", str(agent["expiring"])), None),
        (("definitions stale", str(agent["definitions_stale"])), None),
    ]
    lines.append("")
    lines.extend(_table(("AGENT", "MINIONS"), rows, colors))
    if agent["failing"]:
        lines.append("")
        lines.extend(_failing_table("FAILING AGENT CHECK", agent["failing"], colors))
    return lines
