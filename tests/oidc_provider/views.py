"""The provider's own parts: a sign-in that approves the test's user at once, and a validator
that gives that user's claims and, when the test asks, issues a bad ID token."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from django.contrib.auth import login
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from jwcrypto import jwk, jwt
from oauth2_provider.oauth2_validators import OAuth2Validator

# A key the provider never publishes: a token signed with it must be refused.
FOREIGN_KEY = jwk.JWK.from_pem(os.environ["PROVIDER_FOREIGN_RSA_KEY"].encode())


def state() -> dict:
    return json.loads(Path(os.environ["PROVIDER_STATE_FILE"]).read_text())


def auto_login(request: HttpRequest) -> HttpResponse:
    """Stands in for the provider's sign-in page: the test's user is signed in at once."""
    user, _ = User.objects.get_or_create(username=state()["username"])
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect(request.GET["next"])


class TestValidator(OAuth2Validator):
    # Every claim of the test's user goes out whatever the scope (groups has no standard one).
    oidc_claim_scope = None

    def get_additional_claims(self, request: object) -> dict:
        return dict(state()["claims"])

    def finalize_id_token(
        self, id_token: dict, token: dict, token_handler: object, request: object
    ) -> str:  # type: ignore[override]
        mode = state().get("mode", "normal")
        if mode == "normal":
            return super().finalize_id_token(id_token, token, token_handler, request)
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        if mode == "wrong_audience":
            id_token["aud"] = "another-application"
        if mode == "expired":
            id_token["iat"] = int(time.time()) - 7200
            id_token["exp"] = int(time.time()) - 3600
        real_key = request.client.jwk_key
        # The header names the provider's real key, so the client looks that key up and the
        # signature (made with another key) is what fails.
        header = {"typ": "JWT", "alg": "RS256", "kid": real_key.thumbprint()}
        signed = jwt.JWT(header=json.dumps(header), claims=json.dumps(id_token, default=str))
        signed.make_signed_token(FOREIGN_KEY if mode == "wrong_key" else real_key)
        saved = self._save_id_token(id_token["jti"], request, expiration_time)
        request.access_token = saved
        request.id_token = saved
        return signed.serialize()
