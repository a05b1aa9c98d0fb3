"""pytest hooks for the benchmarks that run Salt daemons (bench/salt_daemons.py)."""

import signal


def _interrupted(signum, _frame):
    # bench.run stops a benchmark that overran with SIGTERM: make it an interrupt, after which
    # pytest still tears the fixtures down (the salt-master and minions are stopped)
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    signal.signal(signal.SIGTERM, _interrupted)


def pytest_unconfigure(config):
    # Salt buffers early log records in a handler bound to the sys.stderr of the moment (pytest's
    # capture) and flushes it at exit, when that stream is closed: drop it while it still works
    # (as tests/conftest.py does).
    try:
        import salt._logging.impl as salt_logging  # noqa: PLC0415
    except ImportError:
        return
    salt_logging.shutdown_temp_handler()
