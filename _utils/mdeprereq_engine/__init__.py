"""mdeprereq's engine: Microsoft Defender for Endpoint on Linux prerequisites in plain Python.

No Salt here: ``_modules``, ``_states``, ``_grains``, ``_runners``, ``_beacons`` and ``_output``
are thin adapters over this package, and it is tested with plain pytest. Two parts: the check
engine (``checks``, ``proxy``, ``probe``, ``endpoints``, ``connectivity``, ``host``, ``fanotify``,
``support``, ``versions``, ``settings``, ``data``, ...) and the continuous-compliance logic
(``remediation``, ``report``, ``regression``, ``tables``). Every error it raises on purpose is an
``errors.MdeprereqError``. Import the submodules you need (``checks``, ``grains``, ``settings``).
"""

import importlib

__all__ = [
    "checks",
    "connectivity",
    "data",
    "endpoints",
    "errors",
    "fanotify",
    "grains",
    "health",
    "host",
    "keys",
    "managed",
    "probe",
    "proxy",
    "proxyconf",
    "redact",
    "regression",
    "remediation",
    "report",
    "repos",
    "result",
    "roots",
    "settings",
    "sources",
    "support",
    "tables",
    "versions",
]


def __getattr__(name):
    # Submodules load on first use (``mdeprereq_engine.checks``): the grain, which runs at every
    # minion start, must not pay for the network and report code it never touches.
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
