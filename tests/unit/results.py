"""Build ``mdeprereq.check`` results for the tests of the continuous-compliance engine."""

from mdeprereq_engine.result import FAIL, summarize, verdict


def entry(status, message=None, fixable=False, facts=None):
    """One check entry; a failure gets a remediation, as every real one has."""
    return verdict(
        status,
        message or f"the check says {status}",
        remediation="Apply the fix." if status == FAIL else None,
        fixable=fixable,
        facts=facts,
    )


def make_result(statuses, fixable=(), facts=None):
    """``mdeprereq.check``'s return for ``{check ID: status}``; ``fixable`` lists failing IDs a
    state fixes, ``facts`` maps IDs to their facts."""
    facts = facts or {}
    return summarize(
        {
            check_id: entry(status, fixable=check_id in fixable, facts=facts.get(check_id))
            for check_id, status in statuses.items()
        }
    )


def distro_facts(os_id="debian", version="12"):
    return {"distro": {"id": os_id, "version": version, "arch": "x86_64"}}
