"""Settings for every way sellm runs, read from the environment (see .env.example).

With nothing set, sellm is the embedded default: SQLite under var/, Celery tasks run
in-process, DEBUG off, and a secret key generated once into var/secret-key, so `make run` and
any `python manage.py …` work on a fresh clone. Production sets DATABASE_URL (PostgreSQL),
CELERY_BROKER_URL (Redis) and SECRET_KEY, and refuses to start without the key. DEBUG is only
switched on by `make dev` (or DEBUG=1).
"""

import secrets
import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

# --- Core -------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)

# Commands that only read the code (never serve, sign or touch data) run without a secret, so
# a fresh checkout can check its migrations; `check` is not one of them (`check --deploy`
# must see the real key).
CODE_ONLY_COMMANDS = {"makemigrations", "showmigrations"}
_COMMAND = sys.argv[1] if len(sys.argv) > 1 and Path(sys.argv[0]).name == "manage.py" else ""

# The embedded default: no database server and no broker configured (one machine, `make run`).
EMBEDDED = not env.str("DATABASE_URL", default="") and not env.str("CELERY_BROKER_URL", default="")


def embedded_secret_key(path: Path) -> str:
    """The embedded default's own secret: generated once into var/ (readable by its owner
    only) and reused, so sessions survive restarts and nobody has to invent one by hand."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        with path.open("x", encoding="utf-8") as handle:  # another process may win the race
            path.chmod(0o600)
            handle.write(key + "\n")
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    return key


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if EMBEDDED:
        SECRET_KEY = embedded_secret_key(VAR_DIR / "secret-key")
    elif DEBUG or _COMMAND in CODE_ONLY_COMMANDS:
        SECRET_KEY = "insecure-key-for-debug-and-code-only-commands"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production (DATABASE_URL or CELERY_BROKER_URL set) needs "
            "one: set it in the environment or in .env. Only the embedded default (neither "
            "set) generates its own, into var/secret-key."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "apps.core",
    "apps.taxonomy",
    "apps.papers",
    "apps.ingestion",
    "apps.listings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413.
    "apps.core.middleware.RequestBodyLimitMiddleware",
    # PostgreSQL refuses NUL in text: a NUL anywhere in a request is a 400 before any lookup.
    "apps.core.middleware.NulCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sellm.urls"
WSGI_APPLICATION = "sellm.wsgi.application"

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
                "apps.core.context_processors.deployment",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'sellm.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # WAL lets the web server read while an in-process ingestion writes; IMMEDIATE takes the
    # write lock at BEGIN so concurrent writers wait instead of failing mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------------

# Throttling and page caching count in the cache: production points CACHE_URL at Redis so
# every web process shares the counts.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://sellm")}
# Seconds an anonymous reader's HTML page is kept in the cache and by browsers (0: render
# every request). Signed-in users are never served from, nor stored in, this cache.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=300)
# Seconds an anonymous JSON answer of the API is kept in the cache (0: answer every request
# afresh); tokens and signed-in users always get fresh answers (apps.core.api.cache).
API_CACHE_SECONDS = env.int("API_CACHE_SECONDS", default=60)

# --- Auth -------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# django-axes first: it refuses logins for a locked-out username (from that address) before
# any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "apps.core.http.client_ip"
AXES_VERBOSE = False  # no start-up banner in front of every management command

# --- Internationalisation ---------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files need `collectstatic` (`make run` runs it); `make dev` (DEBUG)
        # serves the sources.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# --- Celery -----------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
_BROKER_FROM_ENV = CELERY_BROKER_URL
# Without a broker (the embedded default), tasks run in-process when they are sent. A
# filesystem or database broker would lose a task whose worker dies, so eager is the honest
# choice for one machine.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# Whether something sends the periodic tasks (Celery beat): pages only promise scheduled
# harvests when it does. With a broker, production runs beat (docker-compose.yml).
SCHEDULER_RUNS = env.bool("SCHEDULER_RUNS", default=bool(CELERY_BROKER_URL))
CELERY_TASK_EAGER_PROPAGATES = True
# Without a broker, a task sent by a service (apps/core/dispatch.py) runs in a background
# thread of this process, so no request waits on arXiv; the run shows how it went.
TASKS_IN_THREAD = env.bool("TASKS_IN_THREAD", default=True)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task running past the broker's visibility timeout would be delivered twice; the hard
# limit stays well below it.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=15 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=20 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
# Celery-level retries of a harvest page after the client's own retries gave up: seconds
# before the first (doubling, with jitter, up to the max).
INGEST_RETRY_BACKOFF = 30
INGEST_RETRY_BACKOFF_MAX = 600
# A pending or running run that has not moved for this many seconds is stalled: it has lost
# its task (a broker restarted without persistence, a publish during an outage). The recovery
# sweep sends it again and it resumes from its cursor; a harvest source with a stalled run may
# start a new one. Keep it above CELERY_TASK_TIME_LIMIT plus INGEST_RETRY_BACKOFF_MAX, the
# longest a live run can go without moving. The one definition: IngestRun.objects.stalled().
INGEST_STALLED_AFTER = env.int("INGEST_STALLED_AFTER", default=30 * 60)
# Beat starts every harvest source that is due, and sweeps up runs that lost their task; a
# copy older than its next tick is dropped (expires < interval), so a backlog never fires a
# burst of them.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "ingestion-dispatch-harvests": {
        "task": "apps.ingestion.tasks.harvest_sources_dispatch_task",
        "schedule": 5 * 60,
        "options": {"expires": 4 * 60},
    },
    "ingestion-recover-stalled-runs": {
        "task": "apps.ingestion.tasks.ingest_runs_recover_task",
        "schedule": 5 * 60,
        "options": {"expires": 4 * 60},
    },
    "ingestion-refresh-incomplete-records": {
        "task": "apps.ingestion.tasks.arxiv_refresh_incomplete_task",
        "schedule": 24 * 60 * 60,
        "options": {"expires": 60 * 60},
    },
    "ingestion-openalex-refresh": {
        "task": "apps.ingestion.tasks.openalex_refresh_due_task",
        "schedule": 24 * 60 * 60,
        "options": {"expires": 60 * 60},
    },
    "papers-related-refresh": {  # related papers by content (issue 12)
        "task": "apps.papers.tasks.related_papers_refresh_task",
        "schedule": 6 * 60 * 60,
        "options": {"expires": 5 * 60 * 60},
    },
}

# --- arXiv ------------------------------------------------------------------------------

ARXIV_API_URL = env.str("ARXIV_API_URL", default="https://export.arxiv.org/api/query")
ARXIV_OAI_URL = env.str("ARXIV_OAI_URL", default="https://oaipmh.arxiv.org/oai")
# arXiv asks for one request every three seconds, counted across all of a user's machines.
ARXIV_MIN_INTERVAL = env.float("ARXIV_MIN_INTERVAL", default=3.0)
# The lock that spaces requests across processes: Redis when there is one (by default the
# broker), else a lock file under var/ that covers every process of this machine.
_redis_broker = _BROKER_FROM_ENV if _BROKER_FROM_ENV.startswith(("redis://", "rediss://")) else ""
ARXIV_LOCK_URL = env.str("ARXIV_LOCK_URL", default=_redis_broker)
ARXIV_LOCK_FILE = VAR_DIR / "arxiv-politeness.lock"
# Seconds a request to arXiv may take to connect and between bytes; the body has 4x that.
ARXIV_TIMEOUT = env.float("ARXIV_TIMEOUT", default=30.0)
# Attempts after the first on timeouts, connection errors, 5xx, 429 and "Rate exceeded.".
ARXIV_RETRIES = env.int("ARXIV_RETRIES", default=4)
# Largest response body accepted from arXiv (or as a saved file), in bytes.
ARXIV_MAX_RESPONSE_BYTES = env.int("ARXIV_MAX_RESPONSE_BYTES", default=64 * 1024 * 1024)
# Largest single entry (an Atom <entry>, an OAI-PMH <record>), in bytes: a bigger one fails on
# its own, cut out before its XML is built (a parsed entry costs many times its size).
ARXIV_MAX_ENTRY_BYTES = env.int("ARXIV_MAX_ENTRY_BYTES", default=1024 * 1024)

# --- OpenAlex (enrichment: citations, open-access copies, venues) ----------------------

OPENALEX_API_URL = env.str("OPENALEX_API_URL", default="https://api.openalex.org")
# An e-mail address sent with every request ("polite pool": faster, more reliable answers).
OPENALEX_MAILTO = env.str("OPENALEX_MAILTO", default="")
# Optional API key (higher limits); sent as the api_key parameter, never logged.
OPENALEX_API_KEY = env.str("OPENALEX_API_KEY", default="")
# OpenAlex allows 10 requests a second per client: seconds between two, across all workers.
OPENALEX_MIN_INTERVAL = env.float("OPENALEX_MIN_INTERVAL", default=0.1)
# The lock that spaces requests across processes (as for arXiv): Redis, else a lock file.
OPENALEX_LOCK_URL = env.str("OPENALEX_LOCK_URL", default=_redis_broker)
OPENALEX_LOCK_FILE = VAR_DIR / "openalex-politeness.lock"
# Seconds a request may take to connect and between bytes; the body gets 4x.
OPENALEX_TIMEOUT = env.float("OPENALEX_TIMEOUT", default=30.0)
# Retries (exponential backoff, jitter, Retry-After honoured) on timeouts, 429 and 5xx.
OPENALEX_RETRIES = env.int("OPENALEX_RETRIES", default=4)
# Seconds before the first retry (doubling, with jitter, up to 2 minutes).
OPENALEX_RETRY_BACKOFF = env.float("OPENALEX_RETRY_BACKOFF", default=1.0)
# Beat refreshes, once a day, the papers not enriched from OpenAlex for this many days (their
# cited-by counts move); 0 turns the refresh off.
OPENALEX_REFRESH_DAYS = env.int("OPENALEX_REFRESH_DAYS", default=30)

# --- BibTeX import ----------------------------------------------------------------------

# Largest BibTeX file accepted by the admin upload, the API and `import_bibtex`, in bytes.
# The admin's preview sends the file back on confirmation: keep this below
# DATA_UPLOAD_MAX_MEMORY_SIZE (as base64 it grows by a third).
BIBTEX_MAX_BYTES = env.int("BIBTEX_MAX_BYTES", default=5 * 1024 * 1024)
# Uploads with more entries than this import in the background (a Celery task reporting
# progress on an IngestRun); smaller ones import during the request.
BIBTEX_SYNC_MAX_ENTRIES = env.int("BIBTEX_SYNC_MAX_ENTRIES", default=300)

# --- REST API ---------------------------------------------------------------------------

REST_FRAMEWORK = {
    # Anyone reads the public knowledge base; only curators write (apps.core.api.permissions).
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.api.permissions.IsCuratorOrReadOnly"],
    # Token first: an anonymous write then answers 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "apps.core.api.negotiation.FormatNegotiation",
    "DEFAULT_FILTER_BACKENDS": ["apps.core.api.strict.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.PageOrCursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.api.throttling.AnonThrottle",
        "apps.core.api.throttling.UserThrottle",
        "apps.core.api.throttling.SearchExportThrottle",
    ],
    # Requests per client; counted in the cache, so production shares them through Redis.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/minute"),
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
        "search": env.str("API_THROTTLE_SEARCH", default="30/minute"),
        "export": env.str("API_THROTTLE_EXPORT", default="10/minute"),
    },
    # The same trusted proxies as login lockout counts (NUM_PROXIES, below): clients are told
    # apart by their own address and cannot dodge throttling with a forged X-Forwarded-For.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "EXCEPTION_HANDLER": "apps.core.api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.schema.SellmAutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Full-text searches on the HTML paper list per reader (by user, else by address): the API's
# search rate, doubled for the live search (a burst of typing or a facet click is a search);
# a search served from the page cache does not count.
HTML_THROTTLE_SEARCH = env.str("HTML_THROTTLE_SEARCH", default="60/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "sellm API",
    "DESCRIPTION": (
        "The knowledge base of software engineering for large language models: the survey's "
        "lifecycle phases, their challenges and research directions, and the papers behind "
        "them. Anyone reads; curators write with a token (`Authorization: Token <key>`). "
        "Lists page with `page`/`page_size` or, for full scans, `cursor=*`; paper lists also "
        "export as BibTeX (`format=bibtex`) and CSL-JSON (`format=csljson`)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PaperStatusEnum": "apps.papers.models.Paper.Status",
        "DirectionStatusEnum": "apps.taxonomy.models.ResearchDirection.Status",
        "IngestRunStatusEnum": "apps.ingestion.models.IngestRun.Status",
    },
    # The schema documents JSON bodies (multipart where a file is sent: BibTeX imports). Forms
    # still work for the browsable API, but a form cannot say whether `x=a` is a string or a
    # one-item list, nor "{}" text or an object, so they are not part of the contract.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.describe_bodies",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security ---------------------------------------------------------------------------

# Production is HTTPS behind a proxy that terminates TLS and sets X-Forwarded-Proto; the
# embedded default (`make run`, `make dev`) serves plain HTTP on 127.0.0.1, with no TLS to
# redirect to. Each default can be overridden, e.g. SECURE_SSL_REDIRECT=0 to try production
# settings over plain HTTP on 127.0.0.1.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
_HTTPS = not DEBUG and not EMBEDDED
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_HTTPS)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 60 * 60 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Proxies in front of the app that append to X-Forwarded-For (client addresses for throttling
# and login lockout); 0 trusts REMOTE_ADDR only.
NUM_PROXIES = REST_FRAMEWORK["NUM_PROXIES"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Scripts only from our own origin (every asset is vendored under static/); inline style
# attributes are allowed, inline scripts are not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Request bodies (BibTeX uploads included) over this size are refused with a 413
# (apps.core.middleware); uploaded files are held in memory up to it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# --- Logging ----------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # It logs every malformed block; the BibTeX import reports each one itself.
        "bibtexparser": {"level": "ERROR"},
    },
}
