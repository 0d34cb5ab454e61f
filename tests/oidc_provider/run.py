"""Start the test OpenID Connect provider: ``python -m tests.oidc_provider.run PORT DIR
REDIRECT_URI``. It serves ``http://127.0.0.1:PORT/o`` as issuer, with one confidential client
(``knowflow`` / ``provider-test-secret``) allowed to return to REDIRECT_URI."""

from __future__ import annotations

import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET


def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def main() -> None:
    port, directory, redirect_uri = sys.argv[1], sys.argv[2], sys.argv[3]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="tests.oidc_provider.settings",
        PROVIDER_DIR=directory,
        PROVIDER_STATE_FILE=os.path.join(directory, "state.json"),
        PROVIDER_ISSUER=f"http://127.0.0.1:{port}/o",
        PROVIDER_RSA_KEY=_pem(),
        PROVIDER_FOREIGN_RSA_KEY=_pem(),
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import get_application_model

    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
    get_application_model().objects.create(
        name="Knowflow",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris=redirect_uri,
        algorithm="RS256",
        skip_authorization=True,
    )
    run("127.0.0.1", int(port), get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main()
