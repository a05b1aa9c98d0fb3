"""Functional tests: the Salt adapters loaded by Salt's own loader, straight from this checkout
(``module_dirs``), the way ``salt-call --module-dirs`` and a synced minion load them."""

import pytest
from saltfactories.utils import random_string
from saltfactories.utils.functional import Loaders

from tests.conftest import REPO_ROOT, loopback_settings


@pytest.fixture(scope="package")
def minion_opts(salt_factories):
    factory = salt_factories.salt_minion_daemon(
        random_string("functional-"),
        overrides={
            "file_client": "local",
            "module_dirs": [str(REPO_ROOT)],
            # the mde formula, for state.show_sls
            "file_roots": {"base": [str(REPO_ROOT / "salt")]},
            # the fqdn grains do reverse DNS lookups: seconds per loader on a closed network
            "enable_fqdns_grains": False,
            # loopback only: never Microsoft's hosts (tests/conftest.py)
            "mdeprereq": loopback_settings(),
        },
    )
    return factory.config.copy()


@pytest.fixture(scope="package")
def loaders(minion_opts):
    # Building Loaders runs saltutil.sync_all (seconds): one set for the whole package
    loaders = Loaders(minion_opts, loaded_base_name=random_string("functional.", uppercase=False))
    try:
        yield loaders
    finally:
        loaders.reset_state()


@pytest.fixture
def modules(loaders):
    return loaders.modules


@pytest.fixture
def configure(loaders):
    """``configure(**settings)`` sets ``mdeprereq:`` in the minion config the modules see (with
    the loopback connectivity unless ``settings`` has its own)."""
    default = loaders.opts.get("mdeprereq")

    def apply(**settings):
        loaders.opts["mdeprereq"] = loopback_settings(settings)

    try:
        yield apply
    finally:
        loaders.opts["mdeprereq"] = default


def show_sls(loaders, sls, identity, settings):
    """``state.show_sls sls`` of the mde formula with ``mdeprereq: settings`` as pillar, on a
    minion whose ``mde`` grain is ``identity`` (supported); the grain is put back after."""
    saved = dict(loaders.opts["grains"].get("mde") or {})
    loaders.opts["grains"]["mde"] = {**identity, "supported": True}
    try:
        return loaders.modules.state.show_sls(sls, pillar={"mdeprereq": settings})
    finally:
        loaders.opts["grains"]["mde"] = saved


def state_args(rendered, state_id):
    """``(module, function, {arg: value})`` of one state in state.show_sls's output."""
    body = rendered[state_id]
    module = next(key for key in body if not key.startswith("__"))
    args, function = {}, None
    for item in body[module]:
        if isinstance(item, dict):
            args.update(item)
        else:
            function = item
    return module, function, args
