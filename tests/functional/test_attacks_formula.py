"""#14 item 18 through the real formula: onboarding contents given as a mapping stop the render
of ``mde.onboard`` with an error naming the key (Salt would write a Python repr, which mdatp can't
read), and the blob is never echoed. The rest of the attack suite: tests/security/ and
tests/integration/test_attacks.py."""

import json

SECRET = "S3cret-Onboarding-Blob"


def show(loaders, sls, settings):
    saved = dict(loaders.opts["grains"].get("mde") or {})
    loaders.opts["grains"]["mde"] = {"os": "debian", "version": "12", "arch": "x86_64"}
    try:
        return loaders.modules.state.show_sls(sls, pillar={"mdeprereq": settings})
    finally:
        loaders.opts["grains"]["mde"] = saved


def test_item_18_onboarding_contents_as_a_mapping_refused(loaders):
    blob = {"onboardingInfo": json.dumps({"body": SECRET})}
    rendered = show(loaders, "mde.onboard", {"onboarding": {"contents": blob}})
    assert isinstance(rendered, list), rendered  # render errors, nothing to apply
    text = json.dumps(rendered)
    assert "mdeprereq:onboarding:contents must be the text" in text
    assert SECRET not in text
    # the file's text (a string) renders: contents_pillar, never the blob in the SLS
    rendered = show(loaders, "mde.onboard", {"onboarding": {"contents": json.dumps(blob)}})
    assert isinstance(rendered, dict), rendered
    assert SECRET not in json.dumps(rendered)
