from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from spotcheck.auth.tokens import Claims, InvalidToken, TokenSettings, mint, verify

SECRET = b"s" * 32
ISSUER = "https://idp.example.gov.cn"
AUDIENCE = "spotcheck"


def hs_settings(
    secret: bytes = SECRET,
    *,
    issuer: str | None = None,
    audience: str | None = None,
    leeway_seconds: int = 30,
) -> TokenSettings:
    return TokenSettings(
        algorithm="HS256",
        secret=secret,
        public_key=None,
        issuer=issuer,
        audience=audience,
        leeway_seconds=leeway_seconds,
    )


def payload(**kw: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {"sub": "u-1", "iat": now, "exp": now + 600}
    claims.update(kw)
    return {k: v for k, v in claims.items() if v is not None}


def public_pem(private_key: PrivateKeyTypes) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def write_pem(tmp_path: Path, pem: str) -> Path:
    path = tmp_path / "idp.pem"
    path.write_text(pem, encoding="ascii")
    return path


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def reason(token: str, settings: TokenSettings) -> str:
    with pytest.raises(InvalidToken) as info:
        verify(token, settings)
    return info.value.reason


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def prod_env(key_file: Path, algorithm: str = "EdDSA", **kw: str) -> dict[str, str]:
    env = {
        "SPOTCHECK_JWT_ALGORITHM": algorithm,
        "SPOTCHECK_JWT_PUBLIC_KEY_FILE": str(key_file),
        "SPOTCHECK_JWT_ISSUER": ISSUER,
        "SPOTCHECK_JWT_AUDIENCE": AUDIENCE,
    }
    env.update(kw)
    return {k: v for k, v in env.items() if v}


# --- HS256 ------------------------------------------------------------------------------------


def test_round_trip() -> None:
    settings = hs_settings(issuer=ISSUER, audience=AUDIENCE)
    now = datetime.now(UTC)
    token = mint("u-42", settings, ttl=timedelta(minutes=5), now=now)
    claims = verify(token, settings)
    assert claims == Claims(
        subject="u-42",
        expires_at=datetime.fromtimestamp(int((now + timedelta(minutes=5)).timestamp()), UTC),
    )
    assert claims.expires_at.tzinfo is UTC
    body = jwt.decode(token, options={"verify_signature": False})
    assert body["iss"] == ISSUER and body["aud"] == AUDIENCE
    assert set(body) == {"sub", "iat", "exp", "iss", "aud"}


def test_expired_token_refused() -> None:
    settings = hs_settings()
    token = mint(
        "u-1", settings, ttl=timedelta(minutes=1), now=datetime.now(UTC) - timedelta(hours=1)
    )
    assert reason(token, settings) == "expired"


def test_leeway_tolerates_small_clock_skew() -> None:
    settings = hs_settings()
    token = jwt.encode(payload(exp=int(time.time()) - 10), SECRET, algorithm="HS256")
    assert verify(token, settings).subject == "u-1"
    assert reason(token, hs_settings(leeway_seconds=0)) == "expired"


def test_wrong_secret_refused() -> None:
    token = mint("u-1", hs_settings(b"a" * 32))
    assert reason(token, hs_settings(b"b" * 32)) == "bad signature"


def test_alg_none_refused() -> None:
    token = jwt.encode(payload(), "", algorithm="none")
    assert reason(token, hs_settings()) == "algorithm not accepted"


def test_other_hmac_algorithm_refused() -> None:
    secret = b"h" * 64
    token = jwt.encode(payload(), secret, algorithm="HS512")
    assert reason(token, hs_settings(secret)) == "algorithm not accepted"


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        (payload(sub=None), "no sub claim"),
        (payload(exp=None), "no exp claim"),
        (payload(iat=None), "no iat claim"),
        (payload(sub=""), "bad sub claim"),
        (payload(sub=17), "bad sub claim"),
        (payload(sub="x" * 201), "sub claim too long"),
        (payload(exp="9999999999"), "bad exp claim"),
        (payload(iat=int(time.time()) + 3600), "not yet valid"),
    ],
)
def test_bad_claims_refused(claims: dict[str, Any], expected: str) -> None:
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    assert reason(token, hs_settings()) == expected


def test_longest_sub_accepted() -> None:
    token = jwt.encode(payload(sub="x" * 200), SECRET, algorithm="HS256")
    assert verify(token, hs_settings()).subject == "x" * 200


def test_roles_in_token_are_not_claims() -> None:
    token = jwt.encode(payload(roles=["admin"], department="x"), SECRET, algorithm="HS256")
    assert verify(token, hs_settings()) == Claims(
        subject="u-1", expires_at=verify(token, hs_settings()).expires_at
    )


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "x" * 20_000])
def test_malformed_token_refused(token: str) -> None:
    assert reason(token, hs_settings())


def test_issuer_mismatch_refused() -> None:
    settings = hs_settings(issuer=ISSUER)
    assert reason(jwt.encode(payload(iss="https://evil"), SECRET), settings) == "wrong issuer"
    assert reason(jwt.encode(payload(), SECRET), settings) == "no iss claim"


def test_audience_mismatch_refused() -> None:
    settings = hs_settings(audience=AUDIENCE)
    assert reason(jwt.encode(payload(aud="other"), SECRET), settings) == "wrong audience"
    assert reason(jwt.encode(payload(), SECRET), settings) == "no aud claim"
    # A token for some audience is refused when none is configured.
    assert reason(jwt.encode(payload(aud="other"), SECRET), hs_settings()) == "wrong audience"


def test_mint_refuses_asymmetric_and_bad_input(ed_key: ed25519.Ed25519PrivateKey) -> None:
    ed = TokenSettings(
        algorithm="EdDSA", secret=None, public_key=public_pem(ed_key), issuer=None, audience=None
    )
    with pytest.raises(ValueError, match="identity provider"):
        mint("u-1", ed)
    with pytest.raises(ValueError):
        mint("", hs_settings())
    with pytest.raises(ValueError):
        mint("u-1", hs_settings(), ttl=timedelta(0))
    with pytest.raises(ValueError):
        mint("u-1", hs_settings(), now=datetime(2025, 1, 1))


def test_short_secret_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 32"):
        hs_settings(b"short")
    with pytest.raises(ValueError, match="SPOTCHECK_JWT_SECRET"):
        TokenSettings.from_env({"SPOTCHECK_JWT_SECRET": "x" * 31}, tmp_path, production=False)


def test_env_secret_used(tmp_path: Path) -> None:
    settings = TokenSettings.from_env(
        {"SPOTCHECK_JWT_SECRET": "k" * 40, "SPOTCHECK_JWT_ISSUER": ISSUER},
        tmp_path,
        production=False,
    )
    assert settings.algorithm == "HS256"
    assert settings.secret == b"k" * 40
    assert settings.issuer == ISSUER and settings.audience is None
    assert not (tmp_path / "dev-jwt-secret").exists()


# --- the development secret file -------------------------------------------------------------


def test_dev_secret_file_created_once_and_reused(tmp_path: Path) -> None:
    home = tmp_path / "missing" / "home"
    first = TokenSettings.from_env({}, home, production=False)
    path = home / "dev-jwt-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    assert first.secret is not None and len(first.secret) == 64
    assert content.strip() == first.secret

    second = TokenSettings.from_env({}, home, production=False)
    assert second.secret == first.secret
    assert path.read_bytes() == content
    assert [p.name for p in home.iterdir()] == ["dev-jwt-secret"]  # no temp files left behind
    # spotcheck token and spotcheck serve agree:
    assert verify(mint("u-1", first), second).subject == "u-1"


def test_dev_secret_file_from_concurrent_creator_wins(tmp_path: Path) -> None:
    (tmp_path / "dev-jwt-secret").write_text("f" * 64 + "\n")
    settings = TokenSettings.from_env({}, tmp_path, production=False)
    assert settings.secret == b"f" * 64


def test_short_dev_secret_file_refused(tmp_path: Path) -> None:
    (tmp_path / "dev-jwt-secret").write_text("abc\n")
    with pytest.raises(ValueError, match="dev-jwt-secret"):
        TokenSettings.from_env({}, tmp_path, production=False)


# --- EdDSA / RS256 ----------------------------------------------------------------------------


def test_eddsa_round_trip(tmp_path: Path, ed_key: ed25519.Ed25519PrivateKey) -> None:
    key_file = write_pem(tmp_path, public_pem(ed_key))
    settings = TokenSettings.from_env(prod_env(key_file), tmp_path, production=True)
    assert settings.algorithm == "EdDSA" and settings.secret is None
    token = jwt.encode(payload(sub="u-7", iss=ISSUER, aud=AUDIENCE), ed_key, algorithm="EdDSA")
    assert verify(token, settings).subject == "u-7"

    other = ed25519.Ed25519PrivateKey.generate()
    forged = jwt.encode(payload(iss=ISSUER, aud=AUDIENCE), other, algorithm="EdDSA")
    assert reason(forged, settings) == "bad signature"
    assert reason(jwt.encode(payload(iss="x", aud=AUDIENCE), ed_key, "EdDSA"), settings) == (
        "wrong issuer"
    )
    assert reason(jwt.encode(payload(iss=ISSUER, aud="x"), ed_key, "EdDSA"), settings) == (
        "wrong audience"
    )


def test_rs256_round_trip(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    key_file = write_pem(tmp_path, public_pem(rsa_key))
    settings = TokenSettings.from_env(prod_env(key_file, "RS256"), tmp_path, production=True)
    token = jwt.encode(payload(iss=ISSUER, aud=AUDIENCE), rsa_key, algorithm="RS256")
    assert verify(token, settings).subject == "u-1"
    # A valid signature by the same key under another algorithm is still refused.
    ps = jwt.encode(payload(iss=ISSUER, aud=AUDIENCE), rsa_key, algorithm="PS256")
    assert reason(ps, settings) == "algorithm not accepted"


def test_hs256_token_refused_when_rs256_pinned(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    pem = public_pem(rsa_key)
    settings = TokenSettings.from_env(
        prod_env(write_pem(tmp_path, pem), "RS256"), tmp_path, production=True
    )
    # Algorithm confusion: HMAC-sign with the public key PEM as the secret.  PyJWT will not do
    # this for us, so build the token by hand.
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(payload(iss=ISSUER, aud=AUDIENCE)).encode())
    signing_input = f"{header}.{body}".encode()
    signature = b64url(hmac.new(pem.encode(), signing_input, hashlib.sha256).digest())
    assert reason(f"{header}.{body}.{signature}", settings) == "algorithm not accepted"

    plain = jwt.encode(payload(iss=ISSUER, aud=AUDIENCE), SECRET, algorithm="HS256")
    assert reason(plain, settings) == "algorithm not accepted"


def test_short_rsa_key_refused(tmp_path: Path) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    key_file = write_pem(tmp_path, public_pem(weak))
    with pytest.raises(ValueError, match="2048") as info:
        TokenSettings.from_env(prod_env(key_file, "RS256"), tmp_path, production=True)
    assert "SPOTCHECK_JWT_PUBLIC_KEY_FILE" in str(info.value)
    with pytest.raises(ValueError, match="2048"):
        TokenSettings.from_env(prod_env(key_file, "RS256"), tmp_path, production=False)


def test_key_type_must_fit_algorithm(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, ed_key: ed25519.Ed25519PrivateKey
) -> None:
    rsa_file = write_pem(tmp_path, public_pem(rsa_key))
    with pytest.raises(ValueError, match="Ed25519"):
        TokenSettings.from_env(prod_env(rsa_file, "EdDSA"), tmp_path, production=True)
    ed_file = write_pem(tmp_path, public_pem(ed_key))
    with pytest.raises(ValueError, match="RSA"):
        TokenSettings.from_env(prod_env(ed_file, "RS256"), tmp_path, production=True)


def test_public_key_file_must_exist_and_load(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SPOTCHECK_JWT_PUBLIC_KEY_FILE"):
        TokenSettings.from_env(prod_env(tmp_path / "nope.pem"), tmp_path, production=True)
    junk = write_pem(tmp_path, "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    with pytest.raises(ValueError, match="not a PEM public key"):
        TokenSettings.from_env(prod_env(junk), tmp_path, production=True)
    with pytest.raises(ValueError, match="SPOTCHECK_JWT_PUBLIC_KEY_FILE"):
        TokenSettings.from_env({"SPOTCHECK_JWT_ALGORITHM": "EdDSA"}, tmp_path, production=False)


# --- production rules -------------------------------------------------------------------------


def test_production_refuses_hs256(tmp_path: Path) -> None:
    env = {"SPOTCHECK_JWT_ALGORITHM": "HS256", "SPOTCHECK_JWT_SECRET": "k" * 64}
    with pytest.raises(ValueError, match="SPOTCHECK_JWT_ALGORITHM") as info:
        TokenSettings.from_env(env, tmp_path, production=True)
    assert "identity provider" in str(info.value)
    assert not (tmp_path / "dev-jwt-secret").exists()


def test_production_needs_explicit_algorithm(
    tmp_path: Path, ed_key: ed25519.Ed25519PrivateKey
) -> None:
    env = prod_env(write_pem(tmp_path, public_pem(ed_key)))
    del env["SPOTCHECK_JWT_ALGORITHM"]
    with pytest.raises(ValueError, match="SPOTCHECK_JWT_ALGORITHM"):
        TokenSettings.from_env(env, tmp_path, production=True)


@pytest.mark.parametrize("missing", ["SPOTCHECK_JWT_ISSUER", "SPOTCHECK_JWT_AUDIENCE"])
def test_production_needs_issuer_and_audience(
    tmp_path: Path, ed_key: ed25519.Ed25519PrivateKey, missing: str
) -> None:
    env = prod_env(write_pem(tmp_path, public_pem(ed_key)), **{missing: ""})
    with pytest.raises(ValueError, match=missing):
        TokenSettings.from_env(env, tmp_path, production=True)


def test_unknown_algorithm_refused(tmp_path: Path) -> None:
    for alg in ("none", "HS512", "hs256", "ES256"):
        with pytest.raises(ValueError, match="not supported"):
            TokenSettings.from_env({"SPOTCHECK_JWT_ALGORITHM": alg}, tmp_path, production=False)
