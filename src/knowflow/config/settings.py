"""Knowflow settings: one module, driven by environment variables.

Production needs `SECRET_KEY`, `DATABASE_URL` (or the embedded SQLite default) and
`ALLOWED_HOSTS`. `DEBUG` is off unless `KNOWFLOW_DEBUG=1` (the demo and the tests ask for it
explicitly where they need it).
"""

from __future__ import annotations

import os
from pathlib import Path

import csp.constants
import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent  # src/knowflow


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("KNOWFLOW_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("KNOWFLOW_DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("KNOWFLOW_INSECURE_DEV_KEY"):
        # Refusing to start is kinder than signing sessions with a key everyone knows.
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Set SECRET_KEY (or KNOWFLOW_DEBUG=1 for local development).")
    SECRET_KEY = "knowflow-development-only-key-not-for-production-use-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    # Serves the API docs page's Swagger UI from our own static files instead of a CDN.
    "ninja",
    # Infrastructure below every domain: the domains register their documents with it.
    "knowflow.search",
    "knowflow.mail",
    # HTTP posts to other systems (chat, webhooks, a learning record store), queued like email.
    "knowflow.outbound",
    "knowflow.accounts",
    "knowflow.topics",
    "knowflow.circles",
    "knowflow.events",
    "knowflow.api",
    "knowflow.web",
    "knowflow.demo",
    "knowflow.integrations",
    "knowflow.feedback",
    "knowflow.library",
    "knowflow.webhooks",
    "knowflow.insights",
    "knowflow.scim",
    "knowflow.chat",
    "knowflow.xapi",
    "knowflow.demand",
    "knowflow.digest",
    "knowflow.expertise",
    # Internal tech conferences: talks (ordinary sessions), releases, the c3voc exports.
    "knowflow.conferences",
    # Counts failed sign-ins in the database and locks a username+address out for a while.
    "axes",
]

MIDDLEWARE = [
    # First, before the CSRF check reads a body: a request declaring more than the site ever
    # accepts is refused from its headers alone, on every URL.
    "knowflow.web.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "knowflow.accounts.middleware.ViewerTimezoneMiddleware",
    "knowflow.web.errors.ErrorPageMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "knowflow.config.urls"
WSGI_APPLICATION = "knowflow.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "knowflow.accounts.context_processors.viewer",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'knowflow.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_db), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so two requests can never
        # both read "one place left" and both write: SQLite serialises them like row locks would.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000;"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# The switch first: with password sign-in turned off, no password is checked anywhere (the
# sign-in page, the admin's). Then the throttle: a locked-out username+address never reaches
# the password check. The provider's backend does nothing until KNOWFLOW_OIDC_ISSUER is set.
AUTHENTICATION_BACKENDS = [
    "knowflow.accounts.oidc.PasswordSignInSwitch",
    "knowflow.accounts.throttling.SignInThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
    "knowflow.accounts.oidc.ProviderBackend",
]

# Sign-in with the organisation's OpenID Connect provider (knowflow.accounts.oidc): Entra ID,
# Okta, Google, Keycloak … Without an issuer there is no provider button, and nothing reaches
# the network. The endpoints are discovered from <issuer>/.well-known/openid-configuration
# (cached for an hour). The client secret is read from the environment only: never stored in
# the database, never shown on a page (Django's error pages hide settings named *SECRET*).
KNOWFLOW_OIDC_ISSUER = os.environ.get("KNOWFLOW_OIDC_ISSUER", "").strip().rstrip("/")
KNOWFLOW_OIDC_CLIENT_ID = os.environ.get("KNOWFLOW_OIDC_CLIENT_ID", "").strip()
KNOWFLOW_OIDC_CLIENT_SECRET = os.environ.get("KNOWFLOW_OIDC_CLIENT_SECRET", "")
KNOWFLOW_OIDC_SCOPES = os.environ.get("KNOWFLOW_OIDC_SCOPES", "openid email profile").strip()
# The claim that lists a person's groups at the provider; KNOWFLOW_ROLE_GROUPS maps them to
# roles (knowflow.accounts.roles), on every sign-in.
KNOWFLOW_OIDC_GROUPS_CLAIM = os.environ.get("KNOWFLOW_OIDC_GROUPS_CLAIM", "groups").strip()
# The name on the button: "Sign in with Contoso".
KNOWFLOW_OIDC_PROVIDER_NAME = os.environ.get(
    "KNOWFLOW_OIDC_PROVIDER_NAME", "your company account"
).strip()
KNOWFLOW_OIDC_TIMEOUT_SECONDS = float(os.environ.get("KNOWFLOW_OIDC_TIMEOUT_SECONDS", "10"))
# Password sign-in stays on for small installs; 0 leaves only the provider's button.
KNOWFLOW_PASSWORD_SIGN_IN = env_bool("KNOWFLOW_PASSWORD_SIGN_IN", True)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The currency money is shown in (an ISO 4217 code: EUR, USD, GBP …): one organisation, one
# currency. Empty: amounts are shown without a symbol. Numbers follow each viewer's locale
# (knowflow.l10n), never this.
KNOWFLOW_CURRENCY = os.environ.get("KNOWFLOW_CURRENCY", "").strip().upper()
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"


# Uploaded files (knowflow.library) go through Django's storage API to one store that every web
# process shares: a file written by one machine must be there for a download from another, and
# survive losing that machine. Credentials never sit in the URL: for S3 they come from
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the machine's role), as boto3 finds them.
#   KNOWFLOW_STORAGE_URL unset                  files under DATA_DIR/media (one machine)
#   KNOWFLOW_STORAGE_URL=file:///mnt/knowflow   a directory, e.g. a shared disk every machine mounts
#   KNOWFLOW_STORAGE_URL=s3://bucket/prefix?endpoint_url=https://s3.example.org&region=eu-west-1
#       S3 or S3-compatible object storage (MinIO, Ceph …); addressing_style=path if it needs it
def _file_storage(url: str) -> dict[str, object]:
    """The ``default`` storage for KNOWFLOW_STORAGE_URL. Anything it does not understand exactly
    is refused here, at start-up, rather than guessed at (a bucket name lower-cased, a port or
    a host dropped) or left to fail with a 500 at the first upload. Messages never repeat a
    value that could hold a secret."""
    import re
    from urllib.parse import parse_qsl, unquote, urlsplit

    from django.core.exceptions import ImproperlyConfigured

    def refused(reason: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"KNOWFLOW_STORAGE_URL: {reason}")

    def path_of(raw: str) -> str:
        # Decoded first: "%2e%2e" is "..", and would climb out of the directory or prefix.
        path = unquote(raw)
        if "\x00" in path or {".", ".."} & set(path.split("/")):
            raise refused("the path may not contain '.' or '..' segments (decoded or not).")
        return path

    if not url:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = dict(pairs)
    if len(query) != len(pairs) or any(not value for value in query.values()):
        raise refused("each setting after '?' is given once, with a value.")
    if parts.fragment:
        raise refused("no '#' part.")
    if parts.scheme == "file":
        if query or not parts.path:
            raise refused("a file URL is a directory, e.g. file:///mnt/knowflow.")
        if parts.netloc not in ("", "localhost"):
            raise refused(
                "a file URL names a directory on this machine (file:///mnt/knowflow), not on "
                "another host: mount a shared disk and name its directory."
            )
        if not parts.path.startswith("/"):
            raise refused(
                "the directory must be an absolute path, e.g. file:///mnt/knowflow "
                "(a relative one would depend on each process's working directory)."
            )
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": path_of(parts.path)},
        }
    if parts.scheme != "s3":
        raise refused(f"unknown scheme '{parts.scheme}' (file, s3).")
    unknown = set(query) - {"endpoint_url", "region", "addressing_style"}
    if not parts.hostname or unknown or parts.username or parts.password:
        raise refused(
            "s3://BUCKET/PREFIX?endpoint_url=…&region=…&addressing_style=…"
            " (credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, not in the URL)."
        )
    # Not parts.hostname: that is lower-cased, and S3 would then use another bucket.
    bucket = parts.netloc
    if ":" in bucket:
        raise refused("a bucket has no port: give the server's address as endpoint_url=….")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
        raise refused(
            f"'{bucket}' is not a bucket name: 3 to 63 lower-case letters, digits, dots and "
            "hyphens, starting and ending with a letter or digit."
        )
    endpoint = query.get("endpoint_url")
    if endpoint is not None:
        server = urlsplit(endpoint)
        try:
            server.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            server = server._replace(netloc="")
        if (
            server.scheme not in ("http", "https")
            or not server.hostname
            or "@" in server.netloc
            or server.query
            or server.fragment
        ):
            raise refused(
                "endpoint_url is the object store's http(s) address, e.g. "
                "https://s3.example.org:9000, with no credentials in it (those go in "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)."
            )
    style = query.get("addressing_style")
    if style is not None and style not in ("path", "virtual", "auto"):
        raise refused("addressing_style is path, virtual or auto.")
    region = query.get("region")
    if region is not None and not re.fullmatch(r"[a-z0-9-]+", region):
        raise refused("region is a region name such as eu-west-1.")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "location": path_of(parts.path).strip("/"),
            "endpoint_url": query.get("endpoint_url"),
            "region_name": query.get("region"),
            "addressing_style": query.get("addressing_style"),
            # Private objects: every download goes through our view, which checks who asks and
            # adds the safe headers; a public or pre-signed object URL would bypass both.
            "default_acl": None,
            "querystring_auth": True,
            # Names are random already; never silently replace another resource's file.
            "file_overwrite": False,
        },
    }


STORAGES = {
    "default": _file_storage(os.environ.get("KNOWFLOW_STORAGE_URL", "")),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }

# Security: strict by default; a deployment behind TLS-terminating proxy sets the header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG and env_bool("KNOWFLOW_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = not DEBUG and env_bool("KNOWFLOW_SSL_REDIRECT", True)
# Load balancers probe /healthz over plain HTTP on the private side; a 301 to HTTPS would mark
# every healthy process as down. The answer carries no data, so plain HTTP is harmless.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("KNOWFLOW_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy on every response (django-csp; Django has its own only from 6.0).
# Scripts and styles come from our own static files only: no inline script, handler or style
# attribute runs, so an injected one (a link or text that escaped sanitising) does nothing.
# Images: our own and data: URIs (the API docs' icons); Markdown images from other sites are
# not loaded, so a page view tells no outside server who read what. A page needing an inline
# script would take a nonce (``request.csp_nonce``); none does today.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.constants.SELF],
        "script-src": [csp.constants.SELF],
        "style-src": [csp.constants.SELF],
        "img-src": [csp.constants.SELF, "data:"],
        "font-src": [csp.constants.SELF],
        "connect-src": [csp.constants.SELF],
        "object-src": [csp.constants.NONE],
        "base-uri": [csp.constants.NONE],
        "form-action": [csp.constants.SELF],
        "frame-ancestors": [csp.constants.NONE],
    },
}
SILENCED_SYSTEM_CHECKS: list[str] = []

# The API docs (/api/v1/docs and /api/v1/openapi.json) map every endpoint and parameter: useful
# to an attacker, so only signed-in people (session or token) read them in production; public
# in debug (the demo) unless set.
KNOWFLOW_API_DOCS_PUBLIC = env_bool("KNOWFLOW_API_DOCS_PUBLIC", DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KNOWFLOW_LOG_LEVEL", "WARNING")},
}

# Knowflow's own settings.
KNOWFLOW_PAGE_SIZE = 20
# API list pages: 20 rows by default (`?limit=` asks for up to 100). ninja's default of 100 rows,
# each with topics, speakers and occurrences, made every list answer allocate enough objects to
# trigger full garbage collections: that was the API's slow tail.
NINJA_PAGINATION_PER_PAGE = KNOWFLOW_PAGE_SIZE
NINJA_PAGINATION_MAX_LIMIT = 100


# Email (knowflow.mail) and calendars (knowflow.integrations). Email leaves only through the
# outbox, and only to a server an admin configured: without EMAIL_URL, messages are written as
# files under DATA_DIR/mail, so a demo or a test machine never reaches the network.
#   EMAIL_URL=smtp://user:password@mail.example.org:587?tls=1   (STARTTLS)
#   EMAIL_URL=smtps://user:password@mail.example.org:465          (implicit TLS)
#   EMAIL_URL=console:   (print to the worker's output)
def _email_settings(url: str) -> dict[str, object]:
    from urllib.parse import parse_qs, unquote, urlsplit

    if not url:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(DATA_DIR / "mail"),
        }
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme not in {"smtp", "smtps"}:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"EMAIL_URL: unknown scheme '{parts.scheme}' (smtp, smtps, console)."
        )
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": query.get("tls", "0").lower() in {"1", "true", "yes"},
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_TIMEOUT": int(query.get("timeout", "30")),
    }


globals().update(_email_settings(os.environ.get("EMAIL_URL", "")))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Knowflow <knowflow@localhost>")
# Absolute links in feeds and emails (which have no request to take the host from).
KNOWFLOW_BASE_URL = os.environ.get("KNOWFLOW_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Outgoing webhooks (knowflow.webhooks): plain http:// payload URLs are refused unless this is on
# (on by default in development, KNOWFLOW_DEBUG=1), since deliveries carry names and emails.
KNOWFLOW_WEBHOOKS_ALLOW_HTTP = env_bool("KNOWFLOW_WEBHOOKS_ALLOW_HTTP", DEBUG)
KNOWFLOW_REMINDER_BEFORE_MINUTES = int(os.environ.get("KNOWFLOW_REMINDER_BEFORE_MINUTES", "60"))
# Chat (knowflow.chat): the Slack app's signing secret, which turns on the /knowflow slash
# command (POST /chat/slack/command); unset, that URL answers 404.
KNOWFLOW_SLACK_SIGNING_SECRET = os.environ.get("KNOWFLOW_SLACK_SIGNING_SECRET", "").strip()


# xAPI (knowflow.xapi): statements to the organisation's learning record store. Unset = nothing
# is queued and nothing reaches the network. The key and secret are read from the environment
# only: they are never stored in the database, in a queued row or shown on a page.
def _xapi_endpoint(url: str, username: str, password: str) -> str:
    """The LRS base URL, checked at start-up: https (plain http only to this machine, for a
    local test LRS), no credentials, query or fragment in the URL, and both the key and the
    secret given with it. Messages never repeat a value that could hold a secret."""
    from urllib.parse import urlsplit

    from django.core.exceptions import ImproperlyConfigured

    def refused(reason: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"KNOWFLOW_XAPI_ENDPOINT: {reason}")

    url = url.strip()
    if not url:
        if username or password:
            raise refused("set it too, or unset KNOWFLOW_XAPI_USERNAME and KNOWFLOW_XAPI_PASSWORD.")
        return ""
    parts = urlsplit(url)
    loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise refused("the LRS must be reached over https (e.g. https://lrs.example.org/xapi).")
    if not parts.hostname or parts.username or parts.password or parts.query or parts.fragment:
        raise refused(
            "the LRS's base URL without credentials, '?' or '#' (the key and secret go in "
            "KNOWFLOW_XAPI_USERNAME and KNOWFLOW_XAPI_PASSWORD)."
        )
    if not username or not password:
        raise refused(
            "set KNOWFLOW_XAPI_USERNAME and KNOWFLOW_XAPI_PASSWORD (the LRS's key and secret)."
        )
    return url.rstrip("/")


KNOWFLOW_XAPI_USERNAME = os.environ.get("KNOWFLOW_XAPI_USERNAME", "")
KNOWFLOW_XAPI_PASSWORD = os.environ.get("KNOWFLOW_XAPI_PASSWORD", "")
KNOWFLOW_XAPI_ENDPOINT = _xapi_endpoint(
    os.environ.get("KNOWFLOW_XAPI_ENDPOINT", ""), KNOWFLOW_XAPI_USERNAME, KNOWFLOW_XAPI_PASSWORD
)
# Outbox delivery: how often an idle worker looks for due email (seconds), and how long a
# claimed message may stay "sending" before its worker is taken for dead and the message goes
# back to the queue. EMAIL_URL's timeout bounds each network step, not a whole delivery, so a
# delivery has its own limit (4 x the timeout by default: connect, EHLO, envelope, data), after
# which it is abandoned and retried. The lease must be at least twice that limit (a settings
# check refuses to start otherwise), or a slow but living worker's message is sent twice.
KNOWFLOW_OUTBOX_INTERVAL_SECONDS = float(os.environ.get("KNOWFLOW_OUTBOX_INTERVAL_SECONDS", "5"))
KNOWFLOW_OUTBOX_DELIVERY_SECONDS = float(
    os.environ.get(
        "KNOWFLOW_OUTBOX_DELIVERY_SECONDS", str(4 * (globals().get("EMAIL_TIMEOUT") or 30))
    )
)
KNOWFLOW_OUTBOX_LEASE_SECONDS = float(os.environ.get("KNOWFLOW_OUTBOX_LEASE_SECONDS", "900"))

# Feedback (knowflow.feedback): anonymity threshold and the survey timetable.
# Aggregates and comments are shown only for groups of at least this many responses.
KNOWFLOW_FEEDBACK_MIN_GROUP = int(os.environ.get("KNOWFLOW_FEEDBACK_MIN_GROUP", "5"))
KNOWFLOW_FEEDBACK_DELAY_MINUTES = int(os.environ.get("KNOWFLOW_FEEDBACK_DELAY_MINUTES", "30"))
KNOWFLOW_FEEDBACK_REMINDER_DAYS = int(os.environ.get("KNOWFLOW_FEEDBACK_REMINDER_DAYS", "3"))
KNOWFLOW_FEEDBACK_VALID_DAYS = int(os.environ.get("KNOWFLOW_FEEDBACK_VALID_DAYS", "14"))
KNOWFLOW_FEEDBACK_SCAN_DAYS = int(os.environ.get("KNOWFLOW_FEEDBACK_SCAN_DAYS", "14"))

# How often `knowflow worker` runs its periodic jobs (seconds).
KNOWFLOW_FEEDBACK_TICK_SECONDS = int(os.environ.get("KNOWFLOW_FEEDBACK_TICK_SECONDS", "60"))
KNOWFLOW_INSIGHTS_REFRESH_SECONDS = int(os.environ.get("KNOWFLOW_INSIGHTS_REFRESH_SECONDS", "3600"))
# How often the worker looks for digests that fell due (08:00 local): a digest leaves at most
# this long after its person's 08:00.
# Circles any member starts wait for an enabler's approval when this is on (off by default:
# a new circle is open at once). How often the worker recomputes circles' lifecycle states.
KNOWFLOW_CIRCLE_APPROVAL = env_bool("KNOWFLOW_CIRCLE_APPROVAL", False)
KNOWFLOW_CIRCLE_LIFECYCLE_SECONDS = int(os.environ.get("KNOWFLOW_CIRCLE_LIFECYCLE_SECONDS", "3600"))
# How often the worker checks whether the search index changed enough (by a tenth) to train the
# semantic search model again; a training reads the whole index, so not more than hourly.
KNOWFLOW_SEARCH_MODEL_SECONDS = int(os.environ.get("KNOWFLOW_SEARCH_MODEL_SECONDS", "3600"))
KNOWFLOW_DIGEST_INTERVAL_SECONDS = int(os.environ.get("KNOWFLOW_DIGEST_INTERVAL_SECONDS", "300"))

# The library (knowflow.library): the largest file one may upload, and after how many days
# without a review a resource is flagged as possibly out of date and its owner asked to confirm.
KNOWFLOW_MAX_UPLOAD_BYTES = int(os.environ.get("KNOWFLOW_MAX_UPLOAD_BYTES", str(50 * 1024 * 1024)))
# Django's own limits, set here so they are seen: the form fields sent with a file (a title, a
# Markdown body) may take 2.5 MB; a file larger than 2.5 MB is spooled to FILE_UPLOAD_TEMP_DIR
# (never past KNOWFLOW_MAX_UPLOAD_BYTES: knowflow.library.uploads stops reading there).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = os.environ.get("KNOWFLOW_UPLOAD_TEMP_DIR") or None
# On every URL, a file stops being received at KNOWFLOW_MAX_UPLOAD_BYTES, before the memory or
# the temporary-file handler gets a byte past it (the upload views add their own limit too).
FILE_UPLOAD_HANDLERS = [
    "knowflow.library.uploads.UploadSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# The people file (knowflow.accounts.people_file): the largest file its page takes; a larger
# one goes through `knowflow import people FILE.csv`, which reads it a line at a time.
KNOWFLOW_PEOPLE_FILE_MAX_BYTES = int(
    os.environ.get("KNOWFLOW_PEOPLE_FILE_MAX_BYTES", str(5 * 1024 * 1024))
)
KNOWFLOW_RESOURCE_REVIEW_DAYS = int(os.environ.get("KNOWFLOW_RESOURCE_REVIEW_DAYS", "365"))

# Find a time (knowflow.events.planning): seconds the repeat and series solvers of one request
# may use together. Well inside gunicorn's 30 s timeout, so a 52-week series for hundreds of
# people answers (with the best plan found) instead of getting its worker killed.
KNOWFLOW_PLANNING_TIME_BUDGET_SECONDS = float(
    os.environ.get("KNOWFLOW_PLANNING_TIME_BUDGET_SECONDS", "8")
)
# Seconds the automatic conference programme (knowflow.conferences.planning) may solve for in
# the organiser's request; the best programme found by then is the draft (marked so).
KNOWFLOW_PROGRAMME_TIME_LIMIT_SECONDS = float(
    os.environ.get("KNOWFLOW_PROGRAMME_TIME_LIMIT_SECONDS", "10")
)
# Find a time proposes nothing before this many working days (Monday to Friday, in the
# organiser's zone) after today, so the audience has notice before the invitation lands.
KNOWFLOW_PLANNING_LEAD_WORKING_DAYS = int(
    os.environ.get("KNOWFLOW_PLANNING_LEAD_WORKING_DAYS", "2")
)

# Secrets Knowflow must use again (webhook signing secrets, chat webhook URLs) are sealed with
# these Fernet keys (knowflow.sealing): the first seals, all unseal. Empty: one derived from
# SECRET_KEY.
KNOWFLOW_SEALING_KEYS = env_list("KNOWFLOW_SEALING_KEYS")

# Posts to other systems (knowflow.outbound): how long one POST may take, how often the worker
# looks for due posts, and how long a post may stay "sending" before its worker is taken for
# dead.
KNOWFLOW_OUTBOUND_TIMEOUT_SECONDS = float(os.environ.get("KNOWFLOW_OUTBOUND_TIMEOUT_SECONDS", "10"))
KNOWFLOW_OUTBOUND_INTERVAL_SECONDS = float(
    os.environ.get("KNOWFLOW_OUTBOUND_INTERVAL_SECONDS", "5")
)
KNOWFLOW_OUTBOUND_LEASE_SECONDS = float(os.environ.get("KNOWFLOW_OUTBOUND_LEASE_SECONDS", "300"))

# Groups (from the identity provider's groups claim, or SCIM groups) that grant a role:
# "admin=kf-admins,it;enabler=learning-team;leader=execs". Empty: groups never change roles.
KNOWFLOW_ROLE_GROUPS = os.environ.get("KNOWFLOW_ROLE_GROUPS", "")

# Throttling of guessed credentials (knowflow.accounts.throttling).
# Behind reverse proxies, how many of them append to X-Forwarded-For; 0 (the default) means the
# header is ignored, since a client can send any X-Forwarded-For it likes.
KNOWFLOW_TRUSTED_PROXIES = int(os.environ.get("KNOWFLOW_TRUSTED_PROXIES", "0"))
KNOWFLOW_SIGN_IN_FAILURE_LIMIT = int(os.environ.get("KNOWFLOW_SIGN_IN_FAILURE_LIMIT", "5"))
KNOWFLOW_SIGN_IN_COOLOFF_MINUTES = int(os.environ.get("KNOWFLOW_SIGN_IN_COOLOFF_MINUTES", "15"))
KNOWFLOW_TOKEN_FAILURE_LIMIT = int(os.environ.get("KNOWFLOW_TOKEN_FAILURE_LIMIT", "20"))
KNOWFLOW_TOKEN_COOLOFF_MINUTES = int(os.environ.get("KNOWFLOW_TOKEN_COOLOFF_MINUTES", "15"))
AXES_FAILURE_LIMIT = KNOWFLOW_SIGN_IN_FAILURE_LIMIT


def _sign_in_cool_off(request: object = None) -> object:
    # A callable so that a changed KNOWFLOW_SIGN_IN_COOLOFF_MINUTES setting (tests) is honoured.
    from knowflow.accounts.throttling import sign_in_cool_off

    return sign_in_cool_off()


AXES_COOLOFF_TIME = _sign_in_cool_off
# A username is locked only from the address that failed: nobody can lock a colleague out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts while locked out do not extend the wait, so the page can say how long it lasts.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "knowflow.accounts.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "knowflow.accounts.views.sign_in_locked_out"
# Successful sign-ins are not logged row by row (the failures are what the lock needs).
AXES_DISABLE_ACCESS_LOG = True
