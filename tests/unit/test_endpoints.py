"""Which Defender URLs are probed (``endpoints.py``): geo and onboarding kind from the onboarding
JSON, and the URL sets per geo and kind.
"""

import pytest

from mdeprereq_engine import data, endpoints, probe
from tests.unit.network_samples import LEGACY_EU, STREAMLINED_US, dumped, onboarding_json, settings


@pytest.mark.parametrize(
    ("body", "geo"),
    [
        pytest.param(STREAMLINED_US, "us", id="streamlined-us"),
        pytest.param(LEGACY_EU, "eu", id="legacy-eu"),
        pytest.param({"vortexGeoLocation": "UK"}, "uk", id="uk"),
        pytest.param({"vortexGeoLocation": "GB"}, "uk", id="gb"),
        pytest.param({"partnerGeoLocation": "GW_AU"}, "au", id="partner-only"),
        pytest.param(
            {"geoLocationUrl": "https://edr-chn.ch.endpoint.security.microsoft.com/edr/"},
            "ch",
            id="from-url",
        ),
        pytest.param({"vortexGeoLocation": "MARS"}, None, id="unknown"),
    ],
)
def test_geo_from_onboarding(machine, body, geo):
    machine.write(data.ONBOARD_JSON, onboarding_json(body))
    info = endpoints.read_onboarding(machine.host())
    assert info["geo"] == geo
    assert info["error"] is None
    assert "orgId" not in dumped(info)
    assert body.get("orgId", "no org id") not in dumped(info)


def test_no_onboarding_json(machine):
    assert endpoints.read_onboarding(machine.host()) is None
    assert endpoints.resolve_geo(machine.host(), settings()) == (None, None, None)


@pytest.mark.parametrize(
    "text",
    ["{broken", '{"onboardingInfo": "{not json"}', '{"onboardingInfo": {"nobody": 1}}', "[]"],
)
def test_broken_onboarding_json(machine, text):
    machine.write(data.ONBOARD_JSON, text)
    info = endpoints.read_onboarding(machine.host())
    assert info["geo"] is None
    assert info["error"]


def test_setting_geo_wins_over_onboarding(machine):
    machine.write(data.ONBOARD_JSON, onboarding_json(STREAMLINED_US))
    geo, source, info = endpoints.resolve_geo(machine.host(), settings(geo="eu"))
    assert (geo, source, info["geo"]) == ("eu", "mdeprereq:geo", "us")
    geo, source, _ = endpoints.resolve_geo(machine.host(), settings())
    assert (geo, source) == ("us", data.ONBOARD_JSON)


def test_default_urls_streamlined():
    eu = endpoints.default_urls("eu")
    assert eu == [
        "https://mdav.eu.endpoint.security.microsoft.com/mdav/test",
        "https://edr-weu.eu.endpoint.security.microsoft.com/edr/commands/test",
        "https://edr-neu.eu.endpoint.security.microsoft.com/edr/commands/test",
        "https://edr-weu3.eu.endpoint.security.microsoft.com/edr/commands/test",
        "https://edr-neu3.eu.endpoint.security.microsoft.com/edr/commands/test",
        data.ECS_URL,
        *data.CONNECTIVITY_COMMON_URLS,
    ]
    assert endpoints.default_urls(None) == [data.ECS_URL, *data.CONNECTIVITY_COMMON_URLS]
    info = {
        "kind": "streamlined",
        "geo_location_url": STREAMLINED_US["geoLocationUrl"],
        "vortex_server_url": STREAMLINED_US["vortexServerUrl"],
    }
    urls = endpoints.default_urls("us", info)
    hosts = [probe.url_address(url)[0] for url in urls]
    assert hosts == [
        "mdav.us.endpoint.security.microsoft.com",
        "edr-cus.us.endpoint.security.microsoft.com",
        "edr-eus.us.endpoint.security.microsoft.com",
        "edr-cus3.us.endpoint.security.microsoft.com",
        "edr-eus3.us.endpoint.security.microsoft.com",  # the blob's geoLocationUrl: same host
        "us-v20.events.endpoint.security.microsoft.com",
        "config.edge.skype.com",
        "packages.microsoft.com",
        "go.microsoft.com",
        "definitionupdates.microsoft.com",
    ]


def test_ecs_url_is_the_one_microsoft_names():
    assert data.ECS_URL == "https://config.edge.skype.com/config/v1"
    for geo in data.COMMERCIAL_GEOS:
        assert data.ECS_URL in endpoints.default_urls(geo)


def test_india_is_ina():
    urls = endpoints.default_urls("in")
    assert "https://mdav.ina.endpoint.security.microsoft.com/mdav/test" in urls
    assert not any(".in.endpoint.security" in url for url in urls)


@pytest.mark.parametrize(
    ("geo", "label"), [("us", "us"), ("eu", "eu"), ("uk", "uk"), ("au", "au"), ("ch", "ch")]
)
def test_every_commercial_geo_has_its_mdav_host(geo, label):
    url = f"https://mdav.{label}.endpoint.security.microsoft.com/mdav/test"
    assert endpoints.default_urls(geo)[0] == url


@pytest.mark.parametrize(
    ("geo", "number", "ecs"),
    [
        ("gcc", 4, "gccmod.ecs.office.com"),
        ("gcc-high", 1, "config.ecs.gov.teams.microsoft.us"),
        ("dod", 2, "config.ecs.dod.teams.microsoft.us"),
    ],
)
def test_us_government_geos_have_their_own_hosts_and_ecs(geo, number, ecs):
    hosts = [probe.url_address(url)[0] for url in endpoints.default_urls(geo)]
    assert f"unitedstates{number}.cp.wd.microsoft.us" in hosts
    assert f"unitedstates{number}.x.cp.wd.microsoft.us" in hosts
    assert ecs in hosts
    assert "config.edge.skype.com" not in hosts  # the commercial ECS is not theirs
    assert not any(host.endswith(".endpoint.security.microsoft.com") for host in hosts)
    assert settings(geo=geo).geo == geo


def test_us_government_geo_with_its_onboarding_hosts():
    info = {"geo_location_url": "https://edr-usgv.gcc.endpoint.security.microsoft.us/edr/"}
    hosts = [probe.url_address(url)[0] for url in endpoints.default_urls("gcc-high", info)]
    assert "edr-usgv.gcc.endpoint.security.microsoft.us" in hosts


@pytest.mark.parametrize(
    ("body", "kind", "geo"),
    [
        pytest.param(STREAMLINED_US, "streamlined", "us", id="streamlined-us"),
        pytest.param(LEGACY_EU, "legacy", "eu", id="legacy-eu"),
        pytest.param({"partnerGeoLocation": "GW_UK"}, "streamlined", "uk", id="gw-only"),
        pytest.param({"vortexGeoLocation": "AU"}, "legacy", "au", id="vortex-only"),
        pytest.param(
            {"vortexGeoLocation": "IN", "partnerGeoLocation": "GW_IN"}, "streamlined", "in", id="in"
        ),
        pytest.param({"orgId": "x"}, None, None, id="neither"),
    ],
)
def test_onboarding_kind_as_the_analyzer_decides(machine, body, kind, geo):
    machine.write(data.ONBOARD_JSON, onboarding_json(body))
    info = endpoints.read_onboarding(machine.host())
    assert (info["kind"], info["geo"]) == (kind, geo)


def test_legacy_onboarding_is_probed_with_the_legacy_set(machine):
    machine.write(data.ONBOARD_JSON, onboarding_json(LEGACY_EU))
    info = endpoints.read_onboarding(machine.host())
    hosts = [probe.url_address(url)[0] for url in endpoints.default_urls("eu", info)]
    assert hosts[:4] == [
        "europe.cp.wd.microsoft.com",
        "usseu1northprod.blob.core.windows.net",
        "usseu1westprod.blob.core.windows.net",
        "europe.x.cp.wd.microsoft.com",
    ]
    for host in ("winatp-gw-weu.microsoft.com", "winatp-gw-neu3.microsoft.com"):
        assert host in hosts
    assert "eu-v20.events.data.microsoft.com" in hosts
    assert not any(host.endswith(".endpoint.security.microsoft.com") for host in hosts)
    assert "config.edge.skype.com" in hosts
    assert hosts[-3:] == [
        "packages.microsoft.com",
        "go.microsoft.com",
        "definitionupdates.microsoft.com",
    ]


@pytest.mark.parametrize("geo", data.COMMERCIAL_GEOS)
def test_every_commercial_geo_has_a_legacy_set(geo):
    urls = endpoints.default_urls(geo, {"kind": "legacy"})
    assert any(".cp.wd.microsoft.com" in url for url in urls)
    assert not any("endpoint.security.microsoft" in url for url in urls)


def test_every_geo_is_a_setting():
    for geo in data.GEOS:
        assert settings(geo=geo).geo == geo
        assert endpoints.default_urls(geo)
