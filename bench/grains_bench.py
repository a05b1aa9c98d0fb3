"""Benchmark 1: the ``mde`` grain's cost.

- every grain loaded by Salt's loader (``salt.loader.grains``) with this repository in
  ``module_dirs`` and without, interleaved in one process (warm: the engine is imported once, as in
  a running minion refreshing its grains), and in fresh processes (cold: the first load at minion
  start, importing the engine included);
- our grain function alone: the engine's ``grains.collect()`` and the loaded Salt grain
  ``mdeprereq.mde`` (what the loader calls), and the package-database read inside it.
"""

import copy
import json
import os
import random
import subprocess
import sys
import tempfile
import time

from bench.common import (
    compiled_copy,
    figure,
    main,
    median,
    minion_config,
    ms,
    paired,
    repeat,
    summary,
)
from mdeprereq_engine import data, pkgdb
from mdeprereq_engine import grains as engine_grains
from mdeprereq_engine.host import Host
from mdeprereq_engine.pkgdb import DPKG_STATUS

DEFAULT_REPEATS = 30
COLD_REPEATS = 40
BOOTSTRAP_RESAMPLES = 2000
COLD_OURS_REPEATS = 10
RATIO_TARGET = 1.05
GRAIN_TARGET_MS = 5.0
# what the grain looks up on Ubuntu, the longest list: mdatp and every desktop metapackage
LOOKED_UP_PACKAGES = (data.MDATP_PACKAGE, *data.DESKTOP_PACKAGES["ubuntu"])

# Run in a fresh interpreter: Salt imported first (not timed), then one load of every grain timed
COLD_CODE = """
import sys, time
import salt.config, salt.loader
opts = salt.config.minion_config(sys.argv[1])
opts["module_dirs"] = sys.argv[2:]
started = time.perf_counter()
loaded = salt.loader.grains(opts, force_refresh=True)
elapsed = time.perf_counter() - started
print(elapsed, "mde" in loaded)
"""


# Our part of a minion start alone, in a fresh interpreter with Salt imported: importing the
# engine's grain code (bytecode compiled) and the first call of the grain
COLD_OURS_CODE = """
import sys, time
import salt.config, salt.loader
sys.path.insert(0, sys.argv[2] + "/_utils")
started = time.perf_counter()
from mdeprereq_engine import grains
value = grains.collect()
elapsed = time.perf_counter() - started
print(elapsed, "supported" in value)
"""


def cold_ours(config, module_dir):
    completed = subprocess.run(
        [sys.executable, "-c", COLD_OURS_CODE, config, module_dir],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=tempfile.gettempdir(),
    )
    seconds, found = completed.stdout.split()
    if found != "True":
        raise RuntimeError(f"the mde grain returned nothing: {completed}")
    return float(seconds)


def cold_load(config, with_ours, module_dir):
    argv = [sys.executable, "-c", COLD_CODE, config, *([module_dir] if with_ours else [])]
    completed = subprocess.run(
        argv, capture_output=True, text=True, check=True, timeout=120, cwd=tempfile.gettempdir()
    )
    seconds, found = completed.stdout.split()
    if (found == "True") is not with_ours:
        raise RuntimeError(f"the mde grain was {'not ' if with_ours else ''}loaded: {completed}")
    return float(seconds)


def ratio_interval(numerator, denominator, resamples=BOOTSTRAP_RESAMPLES):
    """95% bootstrap interval of median(numerator) / median(denominator): how far the cold ratio
    can move from run-to-run noise alone (fresh Salt processes vary by +-20% on a small VM)."""
    generator = random.Random(7)
    ratios = sorted(
        median(generator.choices(numerator, k=len(numerator)))
        / median(generator.choices(denominator, k=len(denominator)))
        for _ in range(resamples)
    )
    return ratios[int(0.025 * resamples)], ratios[int(0.975 * resamples) - 1]


def quantile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(repeats):
    import salt.config  # noqa: PLC0415 - Salt's import is not what is measured
    import salt.loader  # noqa: PLC0415
    import salt.version  # noqa: PLC0415

    repeats = repeats or DEFAULT_REPEATS
    with tempfile.TemporaryDirectory(prefix="mdeprereq-bench-grains-") as directory:
        config = minion_config(directory)
        module_dir = compiled_copy(directory)
        opts = salt.config.minion_config(config)
        without = copy.deepcopy(opts)
        without["module_dirs"] = []
        with_ours = copy.deepcopy(opts)
        with_ours["module_dirs"] = [module_dir]

        # fresh processes first: the first load of all (cold), alternating with and without
        cold_without, cold_with = [], []
        for index in range(COLD_REPEATS):
            pair = ((False, cold_without), (True, cold_with))
            for flag, samples in pair if index % 2 == 0 else reversed(pair):
                samples.append(cold_load(config, flag, module_dir))
        cold_ours_alone = [cold_ours(config, module_dir) for _ in range(COLD_OURS_REPEATS)]

        loaded_without = salt.loader.grains(without, True)
        loaded_with = salt.loader.grains(with_ours, True)
        if "mde" in loaded_without or "mde" not in loaded_with:
            raise RuntimeError("the mde grain was not loaded exactly when module_dirs has ours")
        all_without, all_with = paired(
            lambda: salt.loader.grains(without, True),
            lambda: salt.loader.grains(with_ours, True),
            repeats,
        )

        # our grain alone: the engine, and the grain as Salt loaded it (module and __opts__)
        engine = repeat(engine_grains.collect, repeats)
        grain_funcs = salt.loader.grain_funcs(with_ours)
        salt_grain = grain_funcs["mdeprereq.mde"]
        value = salt_grain()
        if "mde" not in value:
            raise RuntimeError(f"mdeprereq.mde returned {value!r}")
        via_salt = repeat(salt_grain, repeats)
        lookup = repeat(
            lambda: pkgdb.versions(Host(allow_subprocess=False), LOOKED_UP_PACKAGES), repeats
        )
        packages = repeat(lambda: pkgdb.installed(Host(allow_subprocess=False)), repeats)
        package_count = len(pkgdb.installed(Host(allow_subprocess=False)) or {})
        dpkg_status_bytes = os.path.getsize(DPKG_STATUS) if os.path.exists(DPKG_STATUS) else None

    warm_ratio = median(all_with) / median(all_without)
    cold_ratio = median(cold_with) / median(cold_without)
    cold_low, cold_high = ratio_interval(cold_with, cold_without)
    figures = [
        figure(
            "grains_ratio",
            "all grains loaded, with ours / without (warm, same process)",
            round(warm_ratio, 3),
            "ratio",
            RATIO_TARGET,
        ),
        figure(
            "grains_ratio_cold",
            "all grains, first load in a fresh process (minion start), with ours / without",
            round(cold_ratio, 3),
            "ratio",
            RATIO_TARGET,
        ),
        figure(
            "grain_engine_ms",
            "our grain alone: engine grains.collect(), median",
            ms(median(engine)),
            "ms",
            GRAIN_TARGET_MS,
        ),
        figure(
            "grain_salt_ms",
            "our grain alone: Salt-loaded mdeprereq.mde(), median",
            ms(median(via_salt)),
            "ms",
            GRAIN_TARGET_MS,
        ),
        figure(
            "grains_ratio_cold_interval",
            "the same ratio's 95% bootstrap interval (what run-to-run noise alone allows)",
            f"{cold_low:.3f}-{cold_high:.3f}",
            "",
        ),
        figure(
            "grains_cold_spread",
            "first load in a fresh process: the middle half of the runs (25th-75th percentile), "
            "without ours / with ours",
            f"{ms(quantile(cold_without, 0.25)):.0f}-{ms(quantile(cold_without, 0.75)):.0f} ms / "
            f"{ms(quantile(cold_with, 0.25)):.0f}-{ms(quantile(cold_with, 0.75)):.0f} ms",
            "",
        ),
        figure(
            "grain_cold_ours_ms",
            "our part of a minion start alone: importing the engine's grain code and the "
            "grain's first call, in a fresh process, median",
            ms(median(cold_ours_alone)),
            "ms",
        ),
        figure(
            "grain_cold_ours_share",
            "that part as a share of the first load of all grains without ours (medians)",
            round(median(cold_ours_alone) / median(cold_without), 3),
            "ratio",
        ),
        figure(
            "grains_all_without_ms",
            "all grains without ours (warm), median",
            ms(median(all_without)),
            "ms",
        ),
        figure(
            "grains_all_with_ms",
            "all grains with ours (warm), median",
            ms(median(all_with)),
            "ms",
        ),
        figure(
            "grain_package_lookup_ms",
            "inside our grain: looking up mdatp and the desktop metapackages "
            "(pkgdb.versions), median",
            ms(median(lookup)),
            "ms",
        ),
        figure(
            "grain_package_db_ms",
            "for comparison: parsing the whole package database (pkgdb.installed, what "
            "the checks use), median",
            ms(median(packages)),
            "ms",
        ),
    ]
    return {
        "name": "grains",
        "title": "1. Grains",
        "method": (
            "salt.loader.grains(opts, force_refresh=True) with our grain in module_dirs and "
            f"without, {repeats} interleaved repeats (ABBA) after 2 warm-ups in one process; "
            "the cold figure is one load per fresh interpreter (Salt imported before timing), "
            f"{COLD_REPEATS} each, alternating (ABBA), with our modules' bytecode compiled "
            "beforehand as Salt's is (both figures load ours from a compiled copy of _grains and "
            "_utils). The fresh-process figure is noisy on a small VM, so its bootstrap interval "
            "and our own part measured alone are shown with it. enable_fqdns_grains is False on "
            "both sides. "
            f"Our grain: {repeats} calls of mdeprereq_engine.grains.collect() and of the "
            "mdeprereq.mde function from salt.loader.grain_funcs, after 2 warm-ups."
        ),
        "figures": figures,
        "details": {
            "grains_without": len(loaded_without),
            "grains_with": len(loaded_with),
            "cold_median_ms": {"without": ms(median(cold_without)), "with": ms(median(cold_with))},
            "installed_packages": package_count,
            "dpkg_status_bytes": dpkg_status_bytes,
            "mde_grain": json.loads(json.dumps(loaded_with["mde"], default=str)),
            "salt_version": salt.version.__version__,
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
        "raw": {
            "all_without": summary(all_without),
            "all_with": summary(all_with),
            "cold_without": summary(cold_without),
            "cold_with": summary(cold_with),
            "cold_ours_alone": summary(cold_ours_alone),
            "engine_collect": summary(engine),
            "salt_grain": summary(via_salt),
            "package_lookup": summary(lookup),
            "package_db": summary(packages),
        },
    }


if __name__ == "__main__":
    main(run, __doc__)
