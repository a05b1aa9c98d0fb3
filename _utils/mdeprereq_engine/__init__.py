"""mdeprereq's check engine: Microsoft Defender for Endpoint on Linux prerequisites in plain Python.

No Salt here: ``_modules``, ``_states`` and ``_grains`` are thin adapters over this package, and it
is tested with plain pytest. Import the submodules you need (``checks``, ``grains``, ``settings``).
"""

from . import (
    checks,
    data,
    fanotify,
    grains,
    host,
    managed,
    network,
    proxyconf,
    redact,
    regression,
    remediation,
    report,
    repos,
    result,
    settings,
    tables,
    versions,
)

__all__ = [
    "checks",
    "data",
    "fanotify",
    "grains",
    "host",
    "managed",
    "network",
    "proxyconf",
    "redact",
    "regression",
    "remediation",
    "report",
    "repos",
    "result",
    "settings",
    "tables",
    "versions",
]
