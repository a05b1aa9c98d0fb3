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


# --password=..., --token ..., api_key=..., -p... no: only named options and key=value pairs whose
# name says secret (password, passwd, pass, secret, token, key, auth, credential(s))
_SECRET_NAME = r"[A-Za-z0-9_.-]*(?:pass(?:word|wd)?|secret|token|api[_-]?key|auth|credentials?)"
_SECRET_ASSIGNMENT = re.compile(rf"(?i)(?P<name>{_SECRET_NAME}[A-Za-z0-9_.-]*\s*[=:]\s*)[^\s&;]+")
_SECRET_OPTION = re.compile(rf"(?i)(?P<name>(?:^|\s)--?{_SECRET_NAME}[A-Za-z0-9_-]*\s+)(?!-)\S+")
CMDLINE_LIMIT = 200


def mask_cmdline(text, limit=CMDLINE_LIMIT):
    """A process's command line as facts may show it: credentials in URLs, ``--password=x``,
    ``--token x`` and ``token=x`` masked, then cut to ``limit`` characters in the middle (the
    program and its last arguments say most about a process)."""
    if not text:
        return text
    text = mask_url(str(text))
    text = _SECRET_ASSIGNMENT.sub(lambda match: f"{match.group('name')}{MASK}", text)
    text = _SECRET_OPTION.sub(lambda match: f"{match.group('name')}{MASK}", text)
    if len(text) <= limit:
        return text
    tail = limit // 3
    return f"{text[: limit - tail - 3]}...{text[-tail:]}"
