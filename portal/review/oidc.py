"""The OpenID Connect client of staff sign-in (ProConnect-compatible): discovery, the authorization request, the checks of the answer.

The authorization code flow with PKCE (S256), a `state` and a `nonce`. The ID token (and the
userinfo answer when the provider signs it, as ProConnect does with `application/jwt`) is
verified against the provider's published keys (JWKS): signature with an algorithm the
provider's metadata names, issuer, audience, expiry and nonce. Authlib makes the requests and
checks the ID token's claims; joserfc checks the signatures. Nothing here logs a token or an
e-mail address.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import httpx2
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from litestar.connection import ASGIConnection
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingKeyError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from portal.settings import Settings

log = logging.getLogger("portal.oidc")

STATE_KEY = "oidc_provider"
CALLBACK_PATH = "/staff/oidc/callback"
TIMEOUT_SECONDS = 10
# Metadata and keys are read again after an hour; the keys sooner when a token names an unknown key.
CACHE_SECONDS = 3600
# After a failed read of the metadata or keys, the provider is not asked again for this long: a
# provider that is down costs one wait of TIMEOUT_SECONDS, not one per sign-in.
RETRY_SECONDS = 30
LEEWAY_SECONDS = 60  # clock difference tolerated with the provider
# Signatures checked with the provider's published public keys only: never "none", never the shared secret.
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


class OidcFailure(Exception):
    """A sign-in with the provider refused; `reason` names why (see portal.review.oidc_pages.REASONS)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Pending:
    """What the browser keeps between leaving for the provider and coming back: never shown to it in clear."""

    state: str
    nonce: str
    verifier: str
    next_path: str


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in, after every check: the e-mail address, a display name, the ID token."""

    subject: str
    email: str
    name: str
    id_token: str


class Provider:
    """One configured provider: its metadata and keys, read over HTTP and kept for CACHE_SECONDS."""

    def __init__(self, settings: Settings):
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self.client_secret = settings.oidc_client_secret
        self.scopes = settings.oidc_scopes
        self.redirect_uri = settings.base_url.rstrip("/") + CALLBACK_PATH
        self._metadata: dict | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0
        self._failures: dict[str, tuple[OidcFailure, float]] = {}  # by address: the failure and when
        self._lock = asyncio.Lock()

    def client(self, metadata: dict) -> AsyncOAuth2Client:
        methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        method = "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_endpoint_auth_method=method,
            scope=self.scopes,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            timeout=TIMEOUT_SECONDS,
        )

    async def metadata(self) -> dict:
        """The provider's discovery document, checked to name this issuer and the endpoints the flow needs.

        Kept CACHE_SECONDS; when a refresh fails the document read before is used meanwhile."""
        async with self._lock:
            if self._metadata is None or time.monotonic() - self._metadata_at > CACHE_SECONDS:
                try:
                    url = f"{self.issuer}/.well-known/openid-configuration"
                    data = await self._fetch(url)
                    needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
                    if str(data.get("issuer", "")).rstrip("/") != self.issuer or not all(data.get(k) for k in needed):
                        log.warning("OpenID Connect: the provider's metadata does not match the configured issuer")
                        raise self._failed(url, OidcFailure("provider"))
                except OidcFailure:
                    if self._metadata is None:
                        raise
                else:
                    self._metadata, self._metadata_at = data, time.monotonic()
            return self._metadata

    async def keys(self, refresh: bool = False) -> KeySet:
        metadata = await self.metadata()
        async with self._lock:
            if refresh or self._keys is None or time.monotonic() - self._keys_at > CACHE_SECONDS:
                try:
                    data = await self._fetch(url := metadata["jwks_uri"])
                    try:
                        keys = KeySet.import_key_set(data)
                    except (JoseError, ValueError, TypeError, KeyError) as exc:
                        log.warning("OpenID Connect: the provider's keys cannot be read (%s)", type(exc).__name__)
                        raise self._failed(url, OidcFailure("provider")) from exc
                except OidcFailure:
                    if self._keys is None:
                        raise
                else:
                    self._keys, self._keys_at = keys, time.monotonic()
            return self._keys

    async def _fetch(self, url: str) -> dict:
        """A JSON document of the provider's; a failure is remembered RETRY_SECONDS and raised again meanwhile."""
        failure, at = self._failures.get(url, (None, 0.0))
        if failure is not None and time.monotonic() - at < RETRY_SECONDS:
            raise failure
        try:
            data = await _get_json(url)
        except OidcFailure as failure:
            raise self._failed(url, failure) from failure.__cause__
        self._failures.pop(url, None)
        return data

    def _failed(self, url: str, failure: OidcFailure) -> OidcFailure:
        self._failures[url] = (failure, time.monotonic())
        return failure

    def algorithms(self, metadata: dict, field: str) -> list[str]:
        named = metadata.get(field) or metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        allowed = [alg for alg in named if alg in ASYMMETRIC]
        if not allowed:
            log.warning("OpenID Connect: the provider signs with no algorithm checkable by public key")
            raise OidcFailure("provider")
        return allowed

    async def verified(self, token: str, algorithms: list[str]) -> jwt.Token:
        """The JWT decoded once its signature checks against the provider's keys (read again once on an unknown key)."""
        registry = JWSRegistry(algorithms=algorithms)
        try:
            try:
                return jwt.decode(token, await self.keys(), algorithms=algorithms, registry=registry)
            except (InvalidKeyIdError, MissingKeyError):
                # Perhaps a key the provider published since: read its keys again, once.
                return jwt.decode(token, await self.keys(refresh=True), algorithms=algorithms, registry=registry)
        except (InvalidKeyIdError, MissingKeyError, BadSignatureError, UnsupportedAlgorithmError) as exc:
            raise OidcFailure("signature") from exc
        except (JoseError, ValueError) as exc:
            raise OidcFailure("invalid") from exc


def provider_of(connection: ASGIConnection) -> Provider:
    """The application's provider (kept in its state by create_app, with its metadata and keys)."""
    return connection.app.state[STATE_KEY]


def provider_state(settings: Settings) -> dict[str, Provider]:
    """The application state entry that holds the provider (for create_app; present even when not configured)."""
    return {STATE_KEY: Provider(settings)}


async def form_origins(provider: Provider) -> tuple[str, ...]:
    """Origins a staff form may lead to (the provider's sign-out), for the page's Content-Security-Policy."""
    try:
        endpoint = (await provider.metadata()).get("end_session_endpoint")
    except OidcFailure:
        return ()
    parts = urlsplit(endpoint or "")
    return (f"{parts.scheme}://{parts.netloc}",) if parts.scheme in ("https", "http") and parts.netloc else ()


async def _get_json(url: str) -> dict:
    try:
        async with httpx2.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            response = await client.get(url, headers={"accept": "application/json"})
            response.raise_for_status()
            data = response.json()
    except (httpx2.HTTPError, ValueError) as exc:
        log.warning("OpenID Connect: the provider cannot be reached (%s)", type(exc).__name__)
        raise OidcFailure("unreachable") from exc
    if not isinstance(data, dict):
        raise OidcFailure("provider")
    return data


async def authorization_request(provider: Provider, next_path: str) -> tuple[str, Pending]:
    """Where to send the browser to sign in, and what it must bring back (kept by the caller)."""
    metadata = await provider.metadata()
    pending = Pending(state=generate_token(32), nonce=generate_token(32), verifier=generate_token(64), next_path=next_path)
    async with provider.client(metadata) as client:
        url, _state = client.create_authorization_url(
            metadata["authorization_endpoint"], state=pending.state, code_verifier=pending.verifier, nonce=pending.nonce
        )
    return url, pending


async def identity_from_callback(provider: Provider, pending: Pending | None, params: dict[str, str]) -> Identity:
    """Check the provider's answer (state, code, ID token, userinfo) and say who signed in; OidcFailure otherwise."""
    if pending is None or not hmac.compare_digest(params.get("state", "").encode(), pending.state.encode()):
        raise OidcFailure("state")
    if params.get("error"):
        raise OidcFailure("denied")
    if not params.get("code"):
        raise OidcFailure("invalid")
    metadata = await provider.metadata()
    async with provider.client(metadata) as client:
        try:
            token = await client.fetch_token(
                metadata["token_endpoint"], grant_type="authorization_code", code=params["code"],
                code_verifier=pending.verifier,
            )
        except OAuthError as exc:
            log.warning("OpenID Connect: the token endpoint refused the code (%s)", exc.error)
            raise OidcFailure("refused") from exc
        except (httpx2.HTTPError, ValueError) as exc:
            log.warning("OpenID Connect: the token endpoint cannot be reached (%s)", type(exc).__name__)
            raise OidcFailure("unreachable") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise OidcFailure("invalid")
        claims = await _id_token_claims(provider, metadata, id_token, pending.nonce, token.get("access_token"))
        info = await _userinfo(provider, metadata, client) if metadata.get("userinfo_endpoint") else {}
    if info and info.get("sub") != claims["sub"]:
        raise OidcFailure("invalid")  # OpenID Connect Core 5.3.2: userinfo about another person
    merged = {**claims, **info}
    email = merged.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise OidcFailure("no_email")
    # Accounts are matched by address: one the provider says it has not verified proves nothing. ProConnect
    # sends no such claim (its identity providers vouch for the address); a provider that sends false is refused.
    if merged.get("email_verified") is False or merged.get("email_verified") in ("false", "False"):
        raise OidcFailure("unverified")
    name = " ".join(str(merged[k]).strip() for k in ("given_name", "usual_name") if merged.get(k))
    name = name or str(merged.get("name") or merged.get("family_name") or "").strip()
    return Identity(subject=claims["sub"], email=email.strip(), name=name, id_token=id_token)


async def _id_token_claims(provider: Provider, metadata: dict, id_token: str, nonce: str, access_token: str | None) -> dict:
    decoded = await provider.verified(id_token, provider.algorithms(metadata, "id_token_signing_alg_values_supported"))
    options = {
        "iss": {"essential": True, "value": metadata["issuer"]},
        "aud": {"essential": True, "value": provider.client_id},
        "nonce": {"essential": True},
    }
    claims = CodeIDToken(
        decoded.claims, decoded.header, options, {"nonce": nonce, "client_id": provider.client_id, "access_token": access_token}
    )
    _check(lambda: claims.validate(leeway=LEEWAY_SECONDS))
    return dict(claims)


async def _userinfo(provider: Provider, metadata: dict, client: AsyncOAuth2Client) -> dict:
    """The userinfo answer: JSON, or a JWT signed by the provider (ProConnect), whose signature, issuer and audience are checked."""
    try:
        response = await client.get(metadata["userinfo_endpoint"], headers={"accept": "application/jwt, application/json"})
        response.raise_for_status()
    except (httpx2.HTTPError, OAuthError) as exc:
        log.warning("OpenID Connect: the userinfo endpoint failed (%s)", type(exc).__name__)
        raise OidcFailure("unreachable") from exc
    if response.headers.get("content-type", "").split(";")[0].strip() == "application/jwt":
        decoded = await provider.verified(
            response.text.strip(), provider.algorithms(metadata, "userinfo_signing_alg_values_supported")
        )
        # Issuer and audience are checked when present (OpenID Connect Core 5.3.2: they SHOULD be).
        options = {"iss": {"value": metadata["issuer"]}, "aud": {"value": provider.client_id}, "sub": {"essential": True}}
        registry = jwt.JWTClaimsRegistry(leeway=LEEWAY_SECONDS, **options)
        _check(lambda: registry.validate(decoded.claims))
        return dict(decoded.claims)
    try:
        data = response.json()
    except ValueError as exc:
        raise OidcFailure("invalid") from exc
    if not isinstance(data, dict):
        raise OidcFailure("invalid")
    return data


def _check(validate: Callable[[], None]) -> None:
    """Run claim checks; a failure becomes an OidcFailure that names what was wrong."""
    try:
        validate()
    except ExpiredTokenError as exc:
        raise OidcFailure("expired") from exc
    except ClaimError as exc:
        raise OidcFailure(_claim_reason(exc.claim)) from exc
    except JoseError as exc:
        raise OidcFailure("invalid") from exc


def _claim_reason(claim: str) -> str:
    return {"iss": "issuer", "aud": "audience", "azp": "audience", "nonce": "nonce"}.get(claim, "invalid")


async def logout_url(provider: Provider, id_token: str, post_logout_redirect_uri: str) -> str | None:
    """The provider's end-session address for this ID token (RP-initiated logout), or None when it has none."""
    try:
        metadata = await provider.metadata()
    except OidcFailure:
        return None  # the portal's own session is closed already; the provider's ends with its own lifetime
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    return add_params_to_uri(endpoint, [
        ("id_token_hint", id_token), ("client_id", provider.client_id),
        ("post_logout_redirect_uri", post_logout_redirect_uri), ("state", generate_token(32)),
    ])
