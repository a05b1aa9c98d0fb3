"""The engine's one exception hierarchy.

Every error the engine raises on purpose derives from :class:`MdeprereqError` (a ``ValueError``,
as each of them was before, so an ``except ValueError`` still catches them): a malformed setting
(:class:`SettingsError`), a managed JSON file that can't be read or a value it must not hold
(``managed.ManagedJsonError``), a repository no row fits (``repos.RepositoryError``), a proxy URL
mdatp can't use (``proxy.ProxyURLError``), a key whose fingerprint differs
(``keys.KeyVerificationError``), an unknown check ID (``checks.UnknownCheckError``), ... Each
message names what was wrong and never quotes a secret. The Salt adapters catch the base once:
``SaltInvocationError`` for a bad argument or setting, ``CommandExecutionError`` for a failure,
``from`` the engine's error (as saltext-vault's ``VaultException`` base,
``utils/vault/exceptions.py``).
"""


class MdeprereqError(ValueError):
    """Base of every error the engine raises on purpose; the message names what was wrong."""


class SettingsError(MdeprereqError):
    """A setting under ``mdeprereq:`` is malformed; the message names the key."""
