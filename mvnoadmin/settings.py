"""Settings for mvnoadmin: every value comes from the environment (or an optional `.env`).

The defaults suit development on one machine: SQLite, the ORM broker, DEBUG off, a
development SECRET_KEY, only loopback host names allowed. The rule that keeps that safe (see
"Core" below and the README's "Production settings"): while ALLOWED_HOSTS names only loopback,
the project is *local* and may use the published development key, DEBUG and plain http; once it
names any other host, SECRET_KEY must be set, DEBUG must be off, and HTTPS is enforced.
`.env.example` lists every variable with its meaning.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional: a missing file is fine

# --- Core ---------------------------------------------------------------------
# One rule: the published development key and DEBUG are for this machine alone. While
# ALLOWED_HOSTS names only loopback (the default: LOOPBACK_ONLY), SECRET_KEY may be left unset
# and DEBUG may be switched on. Once ALLOWED_HOSTS names any other host, the project
# refuses to start unless SECRET_KEY is set (50+ random characters) and DEBUG is off.
LOOPBACK_HOSTS = {"localhost", ".localhost", "127.0.0.1", "[::1]"}
ALLOWED_HOSTS = [host.strip() for host in env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])]
LOOPBACK_ONLY = {host.lower() for host in ALLOWED_HOSTS} <= LOOPBACK_HOSTS
DEBUG = env.bool("DEBUG", default=False)
_DEV_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="") or _DEV_SECRET_KEY
if not LOOPBACK_ONLY:
    _beyond = f"ALLOWED_HOSTS={','.join(ALLOWED_HOSTS)} names hosts beyond this machine"
    if DEBUG:
        raise ImproperlyConfigured(
            f"{_beyond}: set DEBUG=false (DEBUG=true is allowed only while ALLOWED_HOSTS names "
            f"loopback alone: {', '.join(sorted(LOOPBACK_HOSTS))}).")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            f"{_beyond}: set SECRET_KEY to 50 or more random characters, e.g. the output of "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))' (the development key is "
            "published and allowed only while ALLOWED_HOSTS names loopback alone).")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_q",
    "axes",
    "ninja",  # the API's docs from its own static files, not a CDN
    "allauth",  # sign-in (allauth.account), its second factor (allauth.mfa): see "Auth" below;
    "allauth.account",  # single sign-on (allauth.socialaccount, sso/): see "Single sign-on" below
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "common",
    "access",
    "ops",
    "sims",
    "orders",
    "hooks",
    "notices",
    "reports",
    "dashboard",
    "api",
    "demo",
    "sso",
]

MIDDLEWARE = [
    "common.web.BadHostMiddleware",  # first: never Django's debug page for a host we do not serve
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",  # every page needs a signed-in user
    "allauth.account.middleware.AccountMiddleware",
    "access.middleware.SecondFactorMiddleware",  # a role that must have a second factor does nothing else first
    "common.web.LogContextMiddleware",  # log lines name the user and the request
    "common.web.IdleSessionMiddleware",
    "common.web.InterfaceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "common.errorpages.NotAllowedPageMiddleware",  # inside CSP and framing: the page it makes gets their headers
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "mvnoadmin.urls"
WSGI_APPLICATION = "mvnoadmin.wsgi.application"

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
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# SQLite by default, tuned so a web process and a worker can write at once: WAL lets readers
# carry on during a write, IMMEDIATE makes a transaction wait for the lock (up to `timeout`)
# instead of failing later with "database is locked" (select_for_update is a no-op on SQLite),
# and holds it from BEGIN: the worker's claims (ops.leases.claim_due) rely on that (common.E001).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }
    # A file, not memory, so that a real worker process can share the test database
    # (tests/conftest.py names one per test run).
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test.sqlite3")}
# A process (web or worker) keeps its connection between requests: opened anew, every page paid SQLite's
# setup (the schema of a hundred tables, pragmas, functions) or PostgreSQL's handshake, checked before reuse
# (SQLite's only goes stale if its file is swapped: a restore stops every process). 0: one per request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in attempts are counted per username and address (django-axes): after five failures
# that pair waits 15 minutes; a success clears the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "common.auth.StaffBackend",  # Django's, but the system account never signs in
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # no "AXES: BEGIN" line at the start of every command
# Behind proxies every sign-in comes from the last proxy's address, and counting per address would
# let anyone lock any named account out for everyone. TRUSTED_PROXY_COUNT says how many proxies stand
# in front of the site, each adding the address it saw to X-Forwarded-For (README, "Production"): the
# client's address is then the entry the outermost one added; entries before it are whatever the
# client sent and count for nothing. 0, the default: the connection's own address, the header ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT is 0 (no proxy) or more, not {TRUSTED_PROXY_COUNT}")
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR",)
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1  # the inner proxies' addresses follow the client's
    IPWARE_STRICT = False  # entries the client sent ahead of its own do not void the header
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"
# Signing in, its second factor and single sign-on: mvnoadmin/settings_signin.py.
from mvnoadmin.settings_signin import *  # noqa: E402, F403
from mvnoadmin.settings_signin import OIDC_SERVER_URL  # noqa: E402 (named: the CSP below reads it)

# Passkeys are bound to the site's host name; on this machine alone plain http://localhost will do.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = LOOPBACK_ONLY
_oidc_origin = "{0.scheme}://{0.netloc}".format(urlsplit(OIDC_SERVER_URL))  # for the CSP below

# --- Security -----------------------------------------------------------------
# HTTPS is enforced unless LOOPBACK_ONLY: cookies only over https, http redirected to https, and HSTS
# (a year, subdomains, preload: what `check --deploy` asks). Behind a proxy that terminates TLS,
# SECURE_PROXY_SSL_HEADER names the header it sets, e.g. HTTP_X_FORWARDED_PROTO,https (without
# it every request would look like http and be redirected for ever).
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not LOOPBACK_ONLY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not LOOPBACK_ONLY)
# Health probes come over plain http from inside the network and carry nothing secret: not redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
_proxy_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_header and len(_proxy_header) != 2:
    raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER is a header and its value, e.g. HTTP_X_FORWARDED_PROTO,https")
SECURE_PROXY_SSL_HEADER = (_proxy_header[0].strip(), _proxy_header[1].strip()) if _proxy_header else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if LOOPBACK_ONLY else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# A session ends after this much idle time (8 hours by default), not two weeks after sign-in: a
# request restarts the clock (saving the session at most every SESSION_RENEW_EVERY).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=8 * 3600)
SESSION_SAVE_EVERY_REQUEST = False  # common.web.IdleSessionMiddleware renews it on what the agent does...
SESSION_RENEW_EVERY = env.int("SESSION_RENEW_SECONDS", default=300)  # ...once in this long: a page view is no write
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp 4): our own scripts, styles and images only. Everything
# the pages need is served from static/ (htmx is vendored), so nothing else is allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],  # Django admin's icons
        "object-src": [NONE],
        "base-uri": [SELF],
        # The sign-in page's single sign-on button posts to us, and we redirect to the provider:
        # browsers hold a form's redirects to form-action too: the provider's origin is allowed.
        "form-action": [SELF, *([_oidc_origin] if OIDC_SERVER_URL else [])],
        "frame-ancestors": [NONE],
    }
}
# Error pages and reports hide any value that contains the gateway password.
DEFAULT_EXCEPTION_REPORTER_FILTER = "common.redaction.GatewayPasswordFilter"

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en-gb"
FORMAT_MODULE_PATH = ["mvnoadmin.formats"]  # 24-hour times everywhere
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# LOOPBACK_ONLY: served straight from static/ (no collectstatic needed, edits show at once).
# Otherwise from `collectstatic`'s output with hashed names: run it with the production environment.
WHITENOISE_USE_FINDERS = LOOPBACK_ONLY
WHITENOISE_AUTOREFRESH = LOOPBACK_ONLY
WHITENOISE_MAX_AGE = 0 if LOOPBACK_ONLY else 60  # seconds; collected files with hashed names: for ever
# Uploaded CSV files wait here between their preview and the agent's confirmation (a day at most).
# Several web machines need one shared place: a shared directory, or another storage in STORAGES.
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if LOOPBACK_ONLY
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- aql gateway --------------------------------------------------------------
AQL_USERNAME = env.str("AQL_USERNAME", default="demo")
AQL_PASSWORD = env.str("AQL_PASSWORD", default="demo-password")
AQL_USIM_URL = env.str("AQL_USIM_URL", default="https://mvno.aql.com/mobile/configure_sim.php")
AQL_DESPATCH_URL = env.str("AQL_DESPATCH_URL", default="http://gw.aql.com/mobile/despatch_sim.php")
AQL_TIMEOUT = env.float("AQL_TIMEOUT", default=30.0)
# The spec: wait at least 30 minutes before the first checkstatus of a two-step request.
AQL_FIRST_POLL_DELAY = env.int("AQL_FIRST_POLL_DELAY", default=1800)
AQL_POLL_INTERVAL = env.int("AQL_POLL_INTERVAL", default=300)  # after the first poll, doubling each time...
AQL_POLL_MAX_INTERVAL = env.int("AQL_POLL_MAX_INTERVAL", default=3600)  # ...up to this
AQL_STALE_AFTER = env.int("AQL_STALE_AFTER", default=24 * 3600)  # pending longer: flagged for staff
AQL_MAX_CONCURRENCY = env.int("AQL_MAX_CONCURRENCY", default=4)  # gateway calls at once from the whole worker
# Uncertain outcomes. A command whose answer was lost is called "did not take effect" only on
# evidence, or when aql's record still shows no change this long after it was sent (longer
# than aql ever takes); until then it stays unknown and queryiccid is re-asked, less often each time.
AQL_SETTLE_WINDOW = env.int("AQL_SETTLE_WINDOW", default=24 * 3600)
# After an outcome decided without checkstatus, the SIM is compared with aql again this soon.
AQL_RECHECK_AFTER = env.int("AQL_RECHECK_AFTER", default=600)
# Drift: every live SIM is compared with aql (queryiccid) at least once in this many hours, at an
# even rate worked out from how many there are (0: never). AQL_DRIFT_PER_HOUR, when set, fixes the
# rate instead (0: never).
AQL_DRIFT_FULL_PASS_HOURS = env.float("AQL_DRIFT_FULL_PASS_HOURS", default=24)
AQL_DRIFT_PER_HOUR = env.int("AQL_DRIFT_PER_HOUR", default=None)
# The drift sweep's comparisons that found ours matched aql are deleted after this many days (a
# journal row and a timeline line each, every SIM every day); 0: kept for ever. Differences stay.
AQL_CHECKS_KEPT_DAYS = env.int("AQL_CHECKS_KEPT_DAYS", default=7)
# Days after a SIM is terminated before its subscriber's details are erased by the worker (daily);
# unset or 0: never by itself (staff erase them by hand).
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=0)
# Days a number freed from a subscriber's SIM (terminated, or its number changed) rests before it
# can go to someone new, so its callers never reach a stranger; its subscriber may have it back
# meanwhile, and a Supervisor may end a rest early. 0: numbers go back to the pool at once.
NUMBER_REST_DAYS = env.int("NUMBER_REST_DAYS", default=90)
AQL_ORDER_CHECK_INTERVAL = env.int("AQL_ORDER_CHECK_INTERVAL", default=300)  # an open order at most this often

# --- Operations: health and metrics ----------------------------------------------
# /readyz fails when the worker has had no answer from aql for this many minutes. The worker asks
# for stock every 15 minutes whatever else it has to do, so a quiet gateway still answers within 20.
READYZ_GATEWAY_MINUTES = env.int("READYZ_GATEWAY_MINUTES", default=20)
# /metrics answers a bearer token (METRICS_TOKEN; no default: set one in production) or an address
# in METRICS_ALLOW (addresses or networks; on this machine alone, loopback by default). Behind a
# proxy every caller has the proxy's address: use the token. Anyone else gets a 403.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOW = env.list("METRICS_ALLOW", default=["127.0.0.1", "::1"] if LOOPBACK_ONLY else [])

# --- The audit trail's seal (ops.seal; README "Production: the audit trail's seal") -----------
# The key every seal is made with (HMAC-SHA256). Unset: derived from SECRET_KEY, so changing SECRET_KEY
# would make every existing seal fail to verify: in production set it (50+ random characters), keep it
# as safe as SECRET_KEY and never change it.
AUDIT_SEAL_KEY = env.str("AUDIT_SEAL_KEY", default="")
# Rows are sealed once they are this many seconds old: longer than any transaction that writes an event
# (seconds) plus any clock difference between the machines that write them (ops.seal.sealing says why).
AUDIT_SEAL_MARGIN = env.int("AUDIT_SEAL_MARGIN", default=300)
# The trails that are sealed (app_label.Model, each with an `at` and an integer id).
AUDIT_SEALED = ["common.AuditEvent", "sims.SimEvent", "orders.OrderEvent"]

# --- Webhooks -----------------------------------------------------------------
# Subscribed URLs must be https (plain http only with DEBUG or this) and resolve to public
# addresses only (loopback, private, link-local and reserved ones only with this: tests, a lab).
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=False)
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
WEBHOOKS_TIMEOUT = env.float("WEBHOOKS_TIMEOUT", default=10.0)  # seconds to connect, and to read, a delivery
WEBHOOKS_AT_ONCE = env.int("WEBHOOKS_AT_ONCE", default=2)  # deliveries under way at once in the follower
WEBHOOKS_RETRY_FIRST = env.int("WEBHOOKS_RETRY_FIRST", default=30)  # seconds before the first retry, doubling...
WEBHOOKS_RETRY_CAP = env.int("WEBHOOKS_RETRY_CAP", default=3600)  # ...up to this
WEBHOOKS_GIVE_UP_AFTER = env.int("WEBHOOKS_GIVE_UP_AFTER", default=24 * 3600)  # then given up, subscription paused
WEBHOOKS_PAUSE_AFTER = env.int("WEBHOOKS_PAUSE_AFTER", default=20)  # failed attempts in a row that pause it
WEBHOOKS_KEPT_DAYS = env.int("WEBHOOKS_KEPT_DAYS", default=30)  # deliveries made, and their events; 0: for ever

# --- Notifications and email (notices/) -------------------------------------------
# The address staff reach the site by: the links in notification emails (no personal details travel in an
# email; the page behind the link shows them to whoever may see them).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
NOTIFY_UNKNOWN_AFTER_HOURS = env.float("NOTIFY_UNKNOWN_AFTER_HOURS", default=2)  # an outcome unknown this long is told
NOTIFY_REPLACEMENT_WAITING_HOURS = env.float("NOTIFY_REPLACEMENT_WAITING_HOURS", default=1)  # a replacement waiting
NOTIFY_LARGE_BATCH = env.int("NOTIFY_LARGE_BATCH", default=100)  # a batch this big is told when it finishes
NOTIFY_DAILY_AT = env.int("NOTIFY_DAILY_AT", default=7)  # the daily email's hour, local time (TIME_ZONE)
STOCK_LEAD_DAYS = env.int("STOCK_LEAD_DAYS", default=14)  # days from ordering SIMs to having them: reports' reorder-by
NOTIFY_STOCK_DAYS = env.int("NOTIFY_STOCK_DAYS", default=14)  # stock lasting fewer days than this is told; 0: not
NOTIFY_KEPT_DAYS = env.int("NOTIFY_KEPT_DAYS", default=90)  # notices, read or not, are deleted after this; 0: kept
# Django's email framework: SMTP from the environment in production; the demo writes each email to a file
# (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend, EMAIL_FILE_PATH=var/demo-mail).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)  # STARTTLS (port 587)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)  # TLS from the start (port 465)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="mvnoadmin <mvnoadmin@localhost>")

# --- Worker (django-q2) ---------------------------------------------------------
# The ORM broker on the default database unless Q_REDIS_URL is set. The follower takes no new
# work after 100 s (ops.worker.FOLLOW_AT_MOST) and the steps it began end within twice
# step_margin() (260 s with AQL_TIMEOUT=30), so `timeout` covers it (check common.W002), and
# `retry` exceeds `timeout` (otherwise a running task is handed out again). The journal, not the
# queue, says what is still to do: a task lost with a dead worker is simply done by the next one.
Q_REDIS_URL = env.str("Q_REDIS_URL", default="")
Q_CLUSTER = {
    "name": "mvnoadmin",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 600,
    "retry": 720,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 500,
    "poll": 1,
    **({"redis": Q_REDIS_URL} if Q_REDIS_URL else {"orm": "default"}),
}

# --- Logging ------------------------------------------------------------------
# structlog (ops.logs): one JSON object a line where the site serves other hosts, readable lines
# on this machine; LOG_FORMAT=json or console chooses. Django's and django-q2's lines go through the
# same processors, so they are structured too and carry the journal request, SIM and user bound
# where they were written. The password is masked in every line (the filter, and the formatter's
# own processor for structlog's lines).
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if LOOPBACK_ONLY or DEBUG else "json")
if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured(f"LOG_FORMAT is json or console, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "common.redaction.RedactGatewayPassword"}},
    "formatters": {"structured": {"()": "ops.logs.structured_formatter", "style": LOG_FORMAT}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "structured", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# --- API (api/) -----------------------------------------------------------------
API_RATE = env.str("API_RATE", default="600/min")  # calls per key, counted in the shared cache below
# What every process must count together (the API's rate: api/throttle.py) is in the database's
# cache table (made by api's migrations) unless CACHE_URL names another, e.g. redis://host:6379/1.
# The default cache stays each process's own, as before (django-q2 keeps its cluster stats there).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": env.cache_url("CACHE_URL", default="dbcache://mvnoadmin_cache"),
}
API_IDEMPOTENCY_KEPT = timedelta(hours=24)  # an Idempotency-Key's first answer is kept this long
