"""What the proxy, endpoints, probe and connectivity tests share: settings from raw values, a
secret to look for, and onboarding JSON samples shaped like the portal's onboarding package
(``mdatp_onboard.json``: JSON in a string in JSON in a string), with made-up org IDs.
"""

import json

from mdeprereq_engine.settings import Settings

SECRET = "s3cr3t-Pa55"


def settings(**raw):
    """``Settings`` of ``mdeprereq:`` set to ``raw``."""
    return Settings.from_raw(raw)


def dumped(value):
    """``value`` as JSON text, to look for a secret anywhere in it."""
    return json.dumps(value, default=str)


def onboarding_json(body):
    """An onboarding JSON as the portal makes it: JSON in a string in JSON in a string."""
    info = {"body": json.dumps(body), "sig": "c2ln", "sha256sig": "c2ln", "cert": "Y2VydA=="}
    return json.dumps({"onboardingInfo": json.dumps(info)}, indent=2)


STREAMLINED_US = {
    "previousOrgIds": [],
    "orgId": "00000000-1111-2222-3333-444444444444",
    "geoLocationUrl": "https://edr-eus3.us.endpoint.security.microsoft.com/edr/",
    "datacenter": "EastUs3",
    "vortexGeoLocation": "US",
    "vortexServerUrl": "https://us-v20.events.endpoint.security.microsoft.com/OneCollector/1.0",
    "vortexTicketUrl": "https://events.data.microsoft.com",
    "partnerGeoLocation": "GW_US",
    "version": "2.06",
    "deviceType": "Server",
}
LEGACY_EU = {
    "previousOrgIds": [],
    "orgId": "00000000-1111-2222-3333-555555555555",
    "geoLocationUrl": "https://winatp-gw-weu.microsoft.com/",
    "datacenter": "WestEurope",
    "vortexGeoLocation": "EU",
    "version": "1.9",
}

GOV_STREAMLINED = {
    "orgId": "00000000-1111-2222-3333-666666666666",
    "geoLocationUrl": "https://edr-usgv.gcc.endpoint.security.microsoft.us/edr/",
    "vortexGeoLocation": "US",
    "partnerGeoLocation": "GW_US",
}
