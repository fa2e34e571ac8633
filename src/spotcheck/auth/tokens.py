"""Bearer tokens (JWT): verifying them, and minting development ones.

In production tokens come from the government identity provider and are verified with its
public key: ``SPOTCHECK_JWT_ALGORITHM`` must be ``EdDSA`` or ``RS256`` and
``SPOTCHECK_JWT_PUBLIC_KEY_FILE`` must name its PEM public key; ``SPOTCHECK_JWT_ISSUER`` and
``SPOTCHECK_JWT_AUDIENCE`` are required.  In development the default is ``HS256`` with
``SPOTCHECK_JWT_SECRET`` or, failing that, a secret kept in ``<home>/dev-jwt-secret`` (created on
first use, mode 0600) so that ``spotcheck token`` and ``spotcheck serve`` on one machine agree.

Verification accepts only the one configured algorithm (a token whose header names another,
``none`` included, is refused), requires ``exp``, ``iat`` and ``sub``, and checks issuer and
audience when configured.  Every failure is an :class:`InvalidToken` with a short reason.

A token only says *who* is calling (``sub``, the account's user id).  Roles and department are
never read from the token: they come from the account registry.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeAlias

import jwt
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import load_pem_public_key

__all__ = ["Claims", "InvalidToken", "TokenSettings", "mint", "verify"]

ALGORITHMS: Final = ("HS256", "EdDSA", "RS256")
MIN_SECRET_BYTES: Final = 32
MIN_RSA_BITS: Final = 2048
MAX_SUBJECT_CHARS: Final = 200
MAX_TOKEN_CHARS: Final = 16 * 1024
DEV_SECRET_FILE: Final = "dev-jwt-secret"

_VerifyingKey: TypeAlias = Ed25519PublicKey | Ed448PublicKey | RSAPublicKey

ENV_ALGORITHM: Final = "SPOTCHECK_JWT_ALGORITHM"
ENV_SECRET: Final = "SPOTCHECK_JWT_SECRET"
ENV_PUBLIC_KEY_FILE: Final = "SPOTCHECK_JWT_PUBLIC_KEY_FILE"
ENV_ISSUER: Final = "SPOTCHECK_JWT_ISSUER"
ENV_AUDIENCE: Final = "SPOTCHECK_JWT_AUDIENCE"


class InvalidToken(Exception):
    """The token was refused; ``reason`` says why in a few words (safe to log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TokenSettings:
    """How tokens are verified (and, in development, minted).

    ``algorithm`` is pinned: verification accepts only that one.  ``secret`` is the HS256 shared
    secret; ``public_key`` the PEM public key for EdDSA / RS256.
    """

    algorithm: str
    secret: bytes | None
    public_key: str | None
    issuer: str | None
    audience: str | None
    leeway_seconds: int = 30

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(
                f"JWT algorithm {self.algorithm!r} is not supported; use one of "
                + ", ".join(ALGORITHMS)
            )
        if self.algorithm == "HS256":
            if self.secret is None:
                raise ValueError("HS256 needs a secret")
            _check_secret_length(self.secret, ENV_SECRET)
        else:
            if self.public_key is None:
                raise ValueError(f"{self.algorithm} needs a PEM public key")
            _load_public_key(self.public_key, self.algorithm)
        if self.leeway_seconds < 0:
            raise ValueError("leeway_seconds must not be negative")

    @classmethod
    def from_env(cls, env: Mapping[str, str], home: Path, *, production: bool) -> TokenSettings:
        """Read the ``SPOTCHECK_JWT_*`` variables; raise ValueError on any misconfiguration."""
        algorithm = _get(env, ENV_ALGORITHM)
        if algorithm is None:
            if production:
                raise ValueError(
                    f"{ENV_ALGORITHM} must be set in production (EdDSA or RS256, as used by the "
                    f"government identity provider, with {ENV_PUBLIC_KEY_FILE})"
                )
            algorithm = "HS256"
        if algorithm not in ALGORITHMS:
            raise ValueError(
                f"{ENV_ALGORITHM}={algorithm!r} is not supported; use one of "
                + ", ".join(ALGORITHMS)
            )
        if production and algorithm == "HS256":
            raise ValueError(
                f"{ENV_ALGORITHM}=HS256 is refused in production: tokens come from the government "
                f"identity provider; use EdDSA or RS256 with {ENV_PUBLIC_KEY_FILE}"
            )

        issuer = _get(env, ENV_ISSUER)
        audience = _get(env, ENV_AUDIENCE)
        if production:
            for name, value in ((ENV_ISSUER, issuer), (ENV_AUDIENCE, audience)):
                if value is None:
                    raise ValueError(f"{name} must be set in production")

        secret: bytes | None = None
        public_key: str | None = None
        if algorithm == "HS256":
            env_secret = _get(env, ENV_SECRET)
            if env_secret is not None:
                secret = env_secret.encode("utf-8")
                _check_secret_length(secret, ENV_SECRET)
            else:
                secret = _dev_secret(home)
        else:
            key_file = _get(env, ENV_PUBLIC_KEY_FILE)
            if key_file is None:
                raise ValueError(
                    f"{ENV_PUBLIC_KEY_FILE} must name a PEM public key file for {algorithm}"
                )
            path = Path(key_file)
            try:
                public_key = path.read_text(encoding="ascii")
            except (OSError, UnicodeDecodeError) as e:
                raise ValueError(f"{ENV_PUBLIC_KEY_FILE}: cannot read {path}: {e}") from e
            try:
                _load_public_key(public_key, algorithm)
            except ValueError as e:
                raise ValueError(f"{ENV_PUBLIC_KEY_FILE}={path}: {e}") from e

        return cls(
            algorithm=algorithm,
            secret=secret,
            public_key=public_key,
            issuer=issuer,
            audience=audience,
        )


@dataclass(frozen=True)
class Claims:
    """What a verified token says: who the caller is and until when."""

    subject: str
    expires_at: datetime


def verify(token: str, settings: TokenSettings) -> Claims:
    """Check ``token`` against ``settings``; raise :class:`InvalidToken` if it is not good."""
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidToken("token too long")
    key = _verification_key(settings)
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[settings.algorithm],
            issuer=settings.issuer,
            audience=settings.audience,
            leeway=settings.leeway_seconds,
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.InvalidTokenError as e:
        raise InvalidToken(_reason(e)) from e
    except jwt.PyJWTError as e:  # e.g. InvalidKeyError; not expected with a checked key
        raise InvalidToken("key rejected") from e

    subject = payload.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("bad sub claim")
    if len(subject) > MAX_SUBJECT_CHARS:
        raise InvalidToken("sub claim too long")

    exp = payload.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise InvalidToken("bad exp claim")
    try:
        expires_at = datetime.fromtimestamp(exp, UTC)
    except (OverflowError, OSError, ValueError) as e:
        raise InvalidToken("bad exp claim") from e
    return Claims(subject=subject, expires_at=expires_at)


def mint(
    user_id: str,
    settings: TokenSettings,
    *,
    ttl: timedelta = timedelta(hours=8),
    now: datetime | None = None,
) -> str:
    """A development token for ``user_id`` (HS256 only: real tokens come from the IdP)."""
    if settings.algorithm != "HS256" or settings.secret is None:
        raise ValueError(
            f"cannot mint {settings.algorithm} tokens here: mint tokens with your identity provider"
        )
    if not user_id or len(user_id) > MAX_SUBJECT_CHARS:
        raise ValueError(f"user id must be 1 to {MAX_SUBJECT_CHARS} characters")
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    payload: dict[str, Any] = {
        "sub": user_id,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if settings.issuer is not None:
        payload["iss"] = settings.issuer
    if settings.audience is not None:
        payload["aud"] = settings.audience
    return jwt.encode(payload, settings.secret, algorithm="HS256")


# --- internals ---------------------------------------------------------------------------------


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _check_secret_length(secret: bytes, source: str) -> None:
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(
            f"{source}: the JWT secret is {len(secret)} bytes; at least {MIN_SECRET_BYTES} "
            "are required (e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
        )


def _dev_secret(home: Path) -> bytes:
    """The development HS256 secret in ``home/dev-jwt-secret``, created on first use.

    The file is written to a temporary name and then published without overwriting: if another
    process created it meanwhile, its secret wins and ours is discarded, so all agree.
    """
    path = home / DEV_SECRET_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{DEV_SECRET_FILE}.", dir=home)  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(secrets.token_hex(32) + "\n")
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)  # atomic and never clobbers a concurrent creator's file
            except FileExistsError:
                pass
            except OSError:  # no hard links on this filesystem
                if not path.exists():
                    os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    try:
        secret = path.read_text(encoding="ascii").strip().encode("ascii")
    except (OSError, UnicodeError) as e:
        raise ValueError(f"cannot read the development JWT secret {path}: {e}") from e
    _check_secret_length(secret, str(path))
    return secret


@functools.lru_cache(maxsize=16)
def _load_public_key(pem: str, algorithm: str) -> _VerifyingKey:
    try:
        key = load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeError, TypeError) as e:
        raise ValueError("not a PEM public key") from e
    if algorithm == "EdDSA":
        if isinstance(key, Ed25519PublicKey | Ed448PublicKey):
            return key
        raise ValueError(f"EdDSA needs an Ed25519 or Ed448 key, not {_key_kind(key)}")
    if algorithm == "RS256":
        if not isinstance(key, RSAPublicKey):
            raise ValueError(f"RS256 needs an RSA key, not {_key_kind(key)}")
        if key.key_size < MIN_RSA_BITS:
            raise ValueError(
                f"RSA key is {key.key_size} bits; at least {MIN_RSA_BITS} are required"
            )
        return key
    raise ValueError(f"{algorithm} does not use a public key")


def _key_kind(key: PublicKeyTypes) -> str:
    return type(key).__name__.removeprefix("_").removesuffix("PublicKey") or "unknown"


def _verification_key(settings: TokenSettings) -> bytes | _VerifyingKey:
    if settings.algorithm == "HS256":
        assert settings.secret is not None  # checked in __post_init__
        return settings.secret
    assert settings.public_key is not None  # checked in __post_init__
    return _load_public_key(settings.public_key, settings.algorithm)


def _reason(e: jwt.InvalidTokenError) -> str:
    # Order matters: subclasses before their bases.
    if isinstance(e, jwt.ExpiredSignatureError):
        return "expired"
    if isinstance(e, jwt.ImmatureSignatureError):
        return "not yet valid"
    if isinstance(e, jwt.InvalidAlgorithmError):
        return "algorithm not accepted"
    if isinstance(e, jwt.InvalidSignatureError):
        return "bad signature"
    if isinstance(e, jwt.MissingRequiredClaimError):
        return f"no {e.claim} claim"
    if isinstance(e, jwt.InvalidIssuerError):
        return "wrong issuer"
    if isinstance(e, jwt.InvalidAudienceError):
        return "wrong audience"
    if isinstance(e, jwt.InvalidIssuedAtError):
        return "bad iat claim"
    if isinstance(e, jwt.exceptions.InvalidSubjectError):
        return "bad sub claim"
    if isinstance(e, jwt.DecodeError):
        return "malformed token"
    return "invalid token"
