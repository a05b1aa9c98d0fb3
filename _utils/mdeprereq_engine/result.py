"""The verdict of one check, and the summary over many."""

PASS = "pass"
WARN = "warn"
FAIL = "fail"
SKIP = "skip"
STATUSES = (PASS, WARN, FAIL, SKIP)


def verdict(status, message, remediation=None, fixable=False, facts=None):
    """Build one check entry of ``mdeprereq.check``'s public schema."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    return {
        "status": status,
        "message": message,
        "remediation": remediation,
        "fixable": bool(fixable),
        "facts": facts or {},
    }


def summarize(checks):
    """``{"ready": ..., "summary": ..., "checks": ...}`` for a dict of check entries."""
    summary = dict.fromkeys(STATUSES, 0)
    for entry in checks.values():
        summary[entry["status"]] += 1
    return {"ready": summary[FAIL] == 0, "summary": summary, "checks": checks}
