"""A real OpenID Connect provider for the tests, built with Authlib's server side, on 127.0.0.1.

Authorization code flow with PKCE (AuthorizationCodeGrant + OpenIDCode + CodeChallenge), RSA
keys published as a JWKS, really signed ID tokens, userinfo as a signed JWT (application/jwt, as
ProConnect answers) and RP-initiated logout (EndSessionEndpoint). It signs in whoever the test
names (`provider.person`) without a login page, and can be told to misbehave: sign with a key
it does not publish, put another nonce, audience or expiry in the ID token.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import OAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.rpinitiated import EndSessionEndpoint
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "guichet-test"
CLIENT_SECRET = "a-client-secret-only-for-the-tests"
SCOPES = ["openid", "email", "given_name", "usual_name"]


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": self.post_logout_redirect_uris}

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return client_secret == self.client_secret

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


class Payload(OAuth2Payload):
    def __init__(self, pairs: list[tuple[str, str]]):
        self._datalist = defaultdict(list)
        for key, value in pairs:
            self._datalist[key].append(value)
        self._data = {k: v[0] for k, v in self._datalist.items()}

    @property
    def data(self):
        return self._data

    @property
    def datalist(self):
        return self._datalist


class Request(OAuth2Request):
    """An Authlib request made from the raw HTTP request the handler read."""

    def __init__(self, method: str, uri: str, headers: dict, query: list, form: list):
        super().__init__(method, uri, headers=headers)
        self._args, self._form = dict(query), dict(form)
        self.payload = Payload(query + form)

    @property
    def args(self):
        return self._args

    @property
    def form(self):
        return self._form


class Provider:
    """The provider's state: its keys, its client, the codes and tokens it issued, how it should behave now."""

    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"}, private=True)
        # Same key id, different key: what a forger without the provider's private key would sign with.
        self.forger_key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"}, private=True)
        self.server: ThreadingHTTPServer | None = None
        self.issuer = ""
        self.reset()

    def reset(self, redirect_base: str = "http://testserver") -> None:
        self.person = {"sub": "agent-1", "email": "Agent.Un@example.gouv.fr", "given_name": "Agnès", "usual_name": "Dupont"}
        self.id_token_overrides: dict = {}  # claims put over the right ones (nonce, aud, exp, iss...)
        self.sign_with_forger = False
        self.forge_userinfo = False
        self.userinfo_as_jwt = True
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, dict] = {}
        self.authorization_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.token_responses: list[dict] = []
        self.logouts: list[dict] = []
        self.metadata_status = 200  # another status makes the discovery document fail
        self.metadata_requests = 0
        self.client = Client(
            CLIENT_ID, CLIENT_SECRET, [f"{redirect_base}/staff/oidc/callback"], [f"{redirect_base}/staff/login"]
        )

    def signing_key(self) -> RSAKey:
        return self.forger_key if self.sign_with_forger else self.key

    def public_jwks(self) -> dict:
        return KeySet([self.key]).as_dict(private=False)

    def metadata(self) -> dict:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "end_session_endpoint": f"{base}/session/end",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "scopes_supported": SCOPES,
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
        }

    def userinfo_claims(self) -> dict:
        return {**self.person, "iss": self.issuer, "aud": CLIENT_ID}


def build_authorization_server(provider: Provider) -> AuthorizationServer:
    class CodeGrant(AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code, request):
            data = request.payload.data
            provider.codes[code] = Code(
                code=code, client_id=request.client.get_client_id(), redirect_uri=data.get("redirect_uri"),
                scope=request.scope, user=request.user, nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"), code_challenge_method=data.get("code_challenge_method"),
            )

        def query_authorization_code(self, code, client):
            found = provider.codes.get(code)
            return found if found and found.client_id == client.get_client_id() else None

        def delete_authorization_code(self, authorization_code):
            provider.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code):
            return authorization_code.user

    class OpenIDConnect(OpenIDCode):
        def exists_nonce(self, nonce, request):
            return False

        def resolve_client_private_key(self, client):
            return provider.signing_key()

        def get_client_claims(self, client):
            return {"iss": provider.issuer, "aud": [client.get_client_id()]}

        def generate_user_info(self, user, scope):
            # Like ProConnect, the ID token names the person only by `sub`; the rest is in userinfo.
            # Merged last into the ID token's claims: the test's overrides win.
            return UserInfo(sub=user["sub"], **provider.id_token_overrides)

    class EndSession(EndSessionEndpoint):
        def get_server_jwks(self):
            return KeySet([provider.key])

        def end_session(self, end_session_request):
            provider.logouts.append(dict(end_session_request.id_token_claims or {}))

    class Server(AuthorizationServer):
        def query_client(self, client_id):
            return provider.client if client_id == provider.client.client_id else None

        def save_token(self, token, request):
            provider.tokens[token["access_token"]] = request.user

        def create_oauth2_request(self, request):
            return request

        def handle_response(self, status, body, headers):
            return status, body, headers

        def send_signal(self, name, *args, **kwargs):
            pass

    server = Server(scopes_supported=SCOPES)
    server.register_token_generator("default", BearerTokenGenerator(lambda **kw: generate_token(42)))
    server.register_grant(CodeGrant, [CodeChallenge(required=True), OpenIDConnect(require_nonce=True)])
    server.register_endpoint(EndSession)
    return server


def handler_class(provider: Provider, server: AuthorizationServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: no request lines in the test output
            pass

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def _handle(self, method: str):
            parts = urlsplit(self.path)
            query = parse_qsl(parts.query, keep_blank_values=True)
            length = int(self.headers.get("content-length") or 0)
            form = parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True) if method == "POST" else []
            request = Request(method, provider.issuer + self.path, dict(self.headers), query, form)
            route = parts.path.removeprefix(urlsplit(provider.issuer).path)
            if route == "/.well-known/openid-configuration":
                provider.metadata_requests += 1
                if provider.metadata_status != 200:
                    return self._send(provider.metadata_status, {"error": "unavailable"})
                return self._send(200, provider.metadata())
            if route == "/jwks":
                return self._send(200, provider.public_jwks())
            if route == "/authorize":
                provider.authorization_requests.append(dict(query))
                grant = server.get_consent_grant(request, end_user=provider.person)
                return self._send(*server.create_authorization_response(request, grant_user=provider.person, grant=grant))
            if route == "/token":
                provider.token_requests.append(dict(form))
                status, body, headers = server.create_token_response(request)
                provider.token_responses.append(body)
                return self._send(status, body, headers)
            if route == "/userinfo":
                return self._userinfo()
            if route == "/session/end":
                response = server.create_endpoint_response("end_session", request)
                return self._send(*response) if response else self._send(200, {"logged_out": True})
            return self._send(404, {"error": "not_found"})

        def _userinfo(self):
            auth = self.headers.get("authorization", "")
            user = provider.tokens.get(auth.removeprefix("Bearer ").strip()) if auth.startswith("Bearer ") else None
            if user is None:
                return self._send(401, {"error": "invalid_token"})
            claims = provider.userinfo_claims()
            if provider.userinfo_as_jwt:
                key = provider.forger_key if provider.forge_userinfo else provider.signing_key()
                signed = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)
                return self._send(200, signed, [("Content-Type", "application/jwt")])
            return self._send(200, claims)

        def _send(self, status, body, headers=()):
            if isinstance(body, (dict, list)):
                body, headers = json.dumps(body), [*headers, ("Content-Type", "application/json")]
            data = (body or "").encode()
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def start_provider() -> Provider:
    """A provider listening on a free port of 127.0.0.1 in a background thread (stop it with stop_provider)."""
    provider = Provider()
    http = ThreadingHTTPServer(("127.0.0.1", 0), handler_class(provider, build_authorization_server(provider)))
    provider.server = http
    provider.issuer = f"http://127.0.0.1:{http.server_address[1]}/api/v2"
    threading.Thread(target=http.serve_forever, name="oidc-provider", daemon=True).start()
    return provider


def stop_provider(provider: Provider) -> None:
    if provider.server is not None:
        provider.server.shutdown()
        provider.server.server_close()
