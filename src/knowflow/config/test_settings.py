"""Settings for the test suite: the production settings with a test database.

The suite runs on SQLite (a file, so threads share it), and on PostgreSQL when
``KNOWFLOW_TEST_DATABASE_URL`` is set (CI sets it when a server answers).
"""

import os
import tempfile

os.environ.setdefault("KNOWFLOW_INSECURE_DEV_KEY", "1")
os.environ.setdefault("KNOWFLOW_SSL_REDIRECT", "0")
os.environ.setdefault("KNOWFLOW_SECURE_COOKIES", "0")
os.environ.setdefault("KNOWFLOW_DATA_DIR", tempfile.mkdtemp(prefix="knowflow-test-"))
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

from knowflow.config.settings import *  # noqa: E402,F403
from knowflow.config.settings import DATA_DIR, DATABASES  # noqa: E402

if os.environ.get("KNOWFLOW_TEST_DATABASE_URL"):
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(os.environ["KNOWFLOW_TEST_DATABASE_URL"])}
else:
    DATABASES["default"]["NAME"] = str(DATA_DIR / "knowflow.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# The manifest storage needs `collectstatic` first; pages rendered by tests only need a URL.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - WhiteNoise warns when it is missing
