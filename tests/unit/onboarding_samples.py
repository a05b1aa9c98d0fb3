"""Onboarding JSON samples shared by the endpoints and connectivity tests.

Shaped like the portal's onboarding package (``mdatp_onboard.json``: JSON in a string in JSON in a
string), with made-up org IDs.
"""

import json


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
