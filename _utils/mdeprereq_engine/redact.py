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


def mask_proxy(text):
    """``text`` with any credentials replaced by ``***``.

    Stricter than :func:`mask_url`, for one proxy URL: everything between the scheme and the
    last ``@`` is masked, so a password holding ``/``, a space or a newline does not leak either.
    """
    if not text:
        return text
    text = mask_url(str(text))
    if "@" not in text:
        return text
    scheme, separator, rest = text.partition("://")
    if not separator:
        scheme, rest = "", text
    return f"{scheme}{separator}{MASK}@{rest.rpartition('@')[2]}"
