"""
The ``mde`` grain: Defender for Endpoint facts for targeting, e.g.
``salt -G 'mde:supported:True' mdeprereq.check`` or ``salt -G 'mde:support_level:derived' ...``.

Cheap by design (it runs at every minion start): files only, no network, no subprocess. The
support verdict honours ``mdeprereq:support`` from the minion config (grains can't see pillar).
"""

import logging
import sys

# Salt puts _utils on sys.path only while it loads this module (the loader's extra_module_dirs;
# pip installs the engine as a top-level package): import the engine now. The grain, module,
# states and runner each have this block: nothing of ours is importable before the engine to
# share it from (the beacon and outputter, loaded without _utils, find the engine otherwise).
try:
    from mdeprereq_engine import grains as engine_grains

    ENGINE_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by __virtual__
    ENGINE_IMPORT_ERROR = exc

log = logging.getLogger(__name__)

__virtualname__ = "mdeprereq"


def __virtual__():
    if ENGINE_IMPORT_ERROR is not None:
        return False, f"mdeprereq: the check engine is not importable ({ENGINE_IMPORT_ERROR})"
    if not sys.platform.startswith("linux"):
        return False, "mdeprereq: Linux only"
    return __virtualname__


def mde():
    """Return ``{"mde": {...}}``: os, version, arch, supported, support_level (listed, desktop,
    derived or unsupported, on Microsoft's list of 2026-09-14), kernel, glibc, systemd, ...."""
    configured = (__opts__.get("mdeprereq") or {}).get("support")
    support = None
    if configured is not None:
        # imported only when needed: every minion start loads this grain
        from mdeprereq_engine.settings import SettingsError, merge_support  # noqa: PLC0415

        try:
            support = merge_support(configured)
        except SettingsError as exc:
            log.error("mde grain: ignoring invalid setting, using Microsoft's list: %s", exc)
    try:
        return {"mde": engine_grains.collect(support=support)}
    except Exception:
        log.exception("mde grain: could not collect facts")
        return {}
