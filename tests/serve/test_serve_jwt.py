"""CDS Hooks client JWTs (CDS Hooks 2.0, "Trusting CDS Clients") against `--jwks FILE`: a token
signed by a key of the JWK Set, from a trusted issuer, for the endpoint called, unexpired and
never seen before is accepted; every other request to /v1 and /cds-services is a 401 problem."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from repo_paths import ROOT
from serve_process import Server

pytest.importorskip("starlette")
jwt = pytest.importorskip("jwt")
ec = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ec")

ISSUER = "https://ehr.example/fhir"
AUDIENCE = "https://payer.example/policy"
CASE = {"as_of": "2020-01-01", "case": {"cancer_site": "gastric"}}


@pytest.fixture(scope="module")
def keys():
    private = ec.generate_private_key(ec.SECP384R1())
    other = ec.generate_private_key(ec.SECP384R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    return private, other, {"keys": [{**public, "kid": "ehr-1", "alg": "ES384", "use": "sig"}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory, keys):
    folder = tmp_path_factory.mktemp("jwt")
    (folder / "jwks.json").write_text(json.dumps(keys[2]))
    with Server("--tables", str(ROOT / "tables"), "--jwks", "jwks.json", "--jwt-issuer", ISSUER,
                "--jwt-audience", AUDIENCE, cwd=folder) as running:
        yield running


def token(key, path: str, **claims) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "sub": "ehr-client", "aud": AUDIENCE + path, "iat": now,
            "exp": now + 120, "jti": str(uuid.uuid4()), **claims}
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key, algorithm="ES384", headers={"kid": claims.pop("kid", "ehr-1")})


def hs256(claims: dict, secret: str) -> str:
    import base64
    import hashlib
    import hmac

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    head = part(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "ehr-1"}).encode())
    body = part(json.dumps(claims).encode())
    mac = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{part(mac)}"


def call(server, bearer: str | None, path: str = "/v1/evaluate"):
    headers = {"authorization": f"Bearer {bearer}"} if bearer is not None else {}
    return server.post(path, CASE, headers=headers)


def refused(response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_valid_token_is_accepted_once(server, keys):
    good = token(keys[0], "/v1/evaluate")
    assert call(server, good).status_code == 200
    refused(call(server, good))  # the same jti again: a replay


def test_discovery_and_the_hook_services_need_a_token_too(server, keys):
    refused(server.client.get("/cds-services"))
    headers = {"authorization": f"Bearer {token(keys[0], '/cds-services')}"}
    assert server.client.get("/cds-services", headers=headers).status_code == 200
    assert server.client.get("/healthz").status_code == 200
    assert server.client.get("/readyz").status_code == 200


@pytest.mark.parametrize("what", ["none", "garbage", "wrong key", "unknown kid", "wrong issuer",
                                  "wrong audience", "another endpoint", "expired", "too long",
                                  "no jti", "alg none", "shared secret"])
def test_a_token_that_is_not_right_is_a_401(server, keys, what):
    private, other, jwks = keys
    path = "/v1/evaluate"
    now = int(time.time())
    tokens = {
        "none": None,
        "garbage": "not.a.jwt",
        "wrong key": token(other, path),
        "unknown kid": jwt.encode({"iss": ISSUER, "aud": AUDIENCE + path, "iat": now,
                                   "exp": now + 60, "jti": "x"}, private, algorithm="ES384",
                                  headers={"kid": "other"}),
        "wrong issuer": token(private, path, iss="https://evil.example"),
        "wrong audience": token(private, path, aud="https://elsewhere.example/v1/evaluate"),
        "another endpoint": token(private, "/v1/batch"),
        "expired": token(private, path, iat=now - 600, exp=now - 300),
        "too long": token(private, path, exp=now + 3600),
        "no jti": token(private, path, jti=None),
        "alg none": jwt.encode({"iss": ISSUER, "aud": AUDIENCE + path, "iat": now,
                                "exp": now + 60, "jti": "y"}, None, algorithm="none",
                               headers={"kid": "ehr-1"}),
        # the public key as an HMAC secret (algorithm confusion), made by hand: PyJWT itself
        # refuses to sign with a JWK-looking secret
        "shared secret": hs256({"iss": ISSUER, "aud": AUDIENCE + path, "iat": now,
                                "exp": now + 60, "jti": "z"}, json.dumps(jwks["keys"][0])),
    }
    refused(call(server, tokens[what], path))


def test_beyond_loopback_a_jwks_needs_an_issuer(cli, tmp_path):
    code, _, err = cli("serve", "--host", "0.0.0.0", "--jwks", tmp_path / "jwks.json",
                       "--tables", ROOT / "tables")
    assert code == 2 and "--jwt-issuer" in err
