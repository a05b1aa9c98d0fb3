"""Keep secrets (proxy credentials, onboarding blobs) out of returns, logs, events and changes."""

import re

# scheme://user:password@host -> scheme://***@host (also user@host, and inside longer text)
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
MASK = "***"


def mask_url(text):
    """``text`` with the credentials of every URL in it replaced by ``***``."""
    if not text:
        return text
    return _USERINFO.sub(lambda match: f"{match.group('scheme')}{MASK}@", str(text))
