"""
Show ``mdeprereq.check`` returns as an aligned table: STATUS, CHECK, MESSAGE, FIX, failures
first, one table per minion, coloured by status when colour is on (``--no-color`` or a pipe turn
it off). Also shows one check's entry (``mdeprereq.kernel``) and the ``mdeprereq.report``
runner's fleet report (its default output). Anything else falls back to the ``nested``
outputter.

CLI Example:

.. code-block:: bash

    salt '*' mdeprereq.check --out=mdeprereq
    salt-call mdeprereq.check --out=mdeprereq
    salt-run mdeprereq.report
"""

import itertools
import logging
import os
import shutil
import sys

import salt.loader
import salt.output
import salt.utils.color

log = logging.getLogger(__name__)

__virtualname__ = "mdeprereq"


def _utils_dirs_with_engine():
    for directory in salt.loader.utils(__opts__).module_dirs:
        if os.path.isdir(os.path.join(directory, "mdeprereq_engine")):
            yield directory


def _import_engine():
    """The engine's tables, and None; or None and the ImportError.

    Salt puts ``_utils`` on sys.path while it loads execution modules, grains, states and
    runners (the loader's extra_module_dirs), not outputters; and the ``salt`` command on the
    master loads an outputter without any execution module (the beacon finds the engine through
    the one it runs). So where the engine is not importable already (pip), look for it in the
    utils directories, where ``saltutil.sync_all`` puts it. This can't live in the engine it is
    looking for: it is the one place that searches."""
    error = None
    for directory in itertools.chain([None], _utils_dirs_with_engine()):
        if directory is not None and directory not in sys.path:
            sys.path.append(directory)
        try:
            from mdeprereq_engine import tables  # noqa: PLC0415
        except ImportError as exc:
            error = exc
        else:
            return tables, None
    return None, error


def __virtual__():
    tables, error = _import_engine()
    if tables is None:
        return (
            False,
            f"mdeprereq: the check engine is not importable ({error}); run saltutil.sync_all "
            "(salt-run saltutil.sync_all on the master), or pip install mdeprereq",
        )
    return __virtualname__


def _colors():
    """Status -> escape code, or None when colour is off."""
    if not __opts__.get("color"):
        return None
    theme = salt.utils.color.get_colors(True, __opts__.get("color_theme"))
    return {
        "pass": theme["GREEN"],
        "warn": theme["LIGHT_YELLOW"],
        "fail": theme["LIGHT_RED"],
        "skip": theme["CYAN"],
        "ready": theme["GREEN"],
        "notready": theme["LIGHT_RED"],
        "unknown": theme["LIGHT_YELLOW"],
        "reset": theme["ENDC"],
    }


def _check_id():
    """The check a single-check function returns (``mdeprereq.kernel`` -> ``kernel``)."""
    fun = __opts__.get("fun")
    if isinstance(fun, str) and fun.startswith("mdeprereq.") and fun != "mdeprereq.check":
        return fun.split(".", 1)[1]
    return None


def _cleaned(data, clean):
    """``data`` with every string's control characters escaped (minion data never drives the
    terminal, in the fallback either)."""
    if isinstance(data, dict):
        return {_cleaned(key, clean): _cleaned(value, clean) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_cleaned(value, clean) for value in data]
    return clean(data) if isinstance(data, str) else data


def _nested(data):
    opts = {key: value for key, value in __opts__.items() if key != "output"}
    tables, _ = _import_engine()
    if tables is not None:
        data = _cleaned(data, tables.clean)
    return salt.output.try_printout(data, "nested", opts)


def output(data, **kwargs):
    """
    Render ``{minion: mdeprereq.check return}`` (or a report) as text.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.check --out=mdeprereq
    """
    tables, _ = _import_engine()
    colors = _colors()
    try:
        if tables.is_report(data):
            return "\n".join(tables.render_report(data, colors))
        if not isinstance(data, dict) or not data:
            return _nested(data)
        width = shutil.get_terminal_size((tables.DEFAULT_WIDTH, 24)).columns
        blocks = []
        for minion, ret in data.items():
            lines = tables.render_minion(minion, ret, colors, width, check_id=_check_id())
            blocks.append("\n".join(lines) if lines is not None else _nested({minion: ret}))
        return "\n\n".join(block for block in blocks if block)
    except Exception:  # an outputter must not crash the CLI: fall back
        log.debug("mdeprereq outputter: falling back to nested", exc_info=True)
        return _nested(data)
