"""Clinix settings: one module, every deployment difference comes from the environment.

The embedded default (nothing set) is a developer machine: a SQLite file under
``var/``, a file-system Celery broker, console e-mail. Production sets at least
SECRET_KEY, DATABASE_URL, REDIS_URL and ALLOWED_HOSTS; see README.md for the table.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's `.env` (written by `make run`) fills in what the shell did not set.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

# Local state of the embedded default: SQLite file, broker folders, file cache.
VAR_DIR = Path(env.str("CLINIX_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set SECRET_KEY in the environment (required when DEBUG is off)."
        )
    # Only ever used with DEBUG on, on a developer machine.
    SECRET_KEY = "django-insecure-clinix-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
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
    "django.forms",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "apps.core",
    # Clinix apps, in the dependency order of docs/architecture.md (left may not import right).
    "apps.audit",
    "apps.outbox",
    "apps.accounts",
    "apps.clinics",
    "apps.doctors",
    "apps.timeslots",
    "apps.bookings",
    "apps.payments",
    "apps.reviews",
    "apps.portal",
    "apps.backoffice",
    "apps.notifications",
    "apps.dashboard",
    "apps.api",
    "apps.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "apps.accounts.middleware.PreferredLanguageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.api.middleware.ApiNotFoundMiddleware",
    "apps.audit.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "clinix.urls"
FORM_RENDERER = "apps.core.forms.ClinixFormRenderer"
WSGI_APPLICATION = "clinix.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'clinix.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Embedded default: the web server and the Celery worker share one file. IMMEDIATE
    # transactions take the write lock up front, so two writers queue instead of failing
    # with "database is locked" when one upgrades a read lock; WAL lets readers continue.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Persistent connections: opening one per request costs several times the query itself.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: SQLite cannot build the waitlist's "one active entry" unique
    # constraint with NULLS NOT DISTINCT, nor keep an index's INCLUDE columns (the
    # bookings' covering index); PostgreSQL (production, tests) has both.
    SILENCED_SYSTEM_CHECKS = ["models.W047", "models.W040"]

# --- Cache and broker -------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Sets apart the keys of deployments (or test runs) that share one Redis.
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
else:
    # A file cache is shared by every local process (web and worker), unlike locmem.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
BROKER_FOLDER = VAR_DIR / "broker"
# Longer than any task's time limit and any countdown we use: Redis redelivers an
# unacknowledged task after this long, so a shorter value would run long tasks twice.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_FOLDER / "queue"),
        "data_folder_out": str(BROKER_FOLDER / "queue"),
        "processed_folder": str(BROKER_FOLDER / "processed"),
        "control_folder": str(BROKER_FOLDER / "control"),
        "store_processed": False,
    }
    # The file-system transport expects its folders to exist.
    for _folder in ("queue", "processed", "control"):
        (BROKER_FOLDER / _folder).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="clinix")
# A task is acknowledged after it ran, and given back if its worker dies mid-run: with
# idempotent tasks this turns "lost on crash" into "run again", which is what we want.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
if not 60 <= CELERY_TASK_TIME_LIMIT < CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "CELERY_TASK_TIME_LIMIT must be at least 60 s and below CELERY_VISIBILITY_TIMEOUT."
    )
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The schedule lives in the database (django-celery-beat): editable in the admin under
# "Periodic tasks". CELERY_BEAT_SCHEDULE below seeds it; beat adds missing entries at start.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = env.str("TIME_ZONE", default="UTC")
CELERY_BEAT_SCHEDULE = {
    "extend-slot-horizon": {
        "task": "apps.timeslots.tasks.slots_extend_horizon",
        "schedule": 60 * 60,
    },
    "purge-idempotency-keys": {
        "task": "apps.api.tasks.idempotency_purge",
        "schedule": 24 * 60 * 60,
    },
    "expire-payment-holds": {
        "task": "apps.payments.tasks.holds_expire",
        "schedule": 60,
    },
    "relay-outbox": {
        "task": "apps.outbox.tasks.outbox_relay",
        "schedule": 10,
    },
    "plan-reminders": {
        "task": "apps.notifications.tasks.reminders_plan",
        "schedule": 60,
    },
    "flag-interrupted-deliveries": {
        "task": "apps.notifications.tasks.deliveries_flag_stale",
        "schedule": 5 * 60,
    },
    "resend-stale-refunds": {
        "task": "apps.payments.tasks.refunds_resend_stale",
        "schedule": 10 * 60,
    },
    "waitlist-sweep": {
        "task": "apps.bookings.tasks.waitlist_sweep",
        "schedule": 5 * 60,
    },
}

# --- Outbox -----------------------------------------------------------------------------------
# Kick the relay right after a commit that recorded events (the periodic relay catches up
# on anything a kick missed).
OUTBOX_RELAY_ON_COMMIT = env.bool("OUTBOX_RELAY_ON_COMMIT", default=True)

# --- Notifications ------------------------------------------------------------------------------
# Where links in e-mails and text messages point.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Reminders before each confirmed visit, in minutes (default 24 h and 2 h).
REMINDER_OFFSETS_MINUTES = [
    int(m) for m in env.list("REMINDER_OFFSETS_MINUTES", default=["1440", "120"])
]
# Text messages: "console" (logged) or "twilio".
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
if SMS_BACKEND not in ("console", "twilio"):
    raise ImproperlyConfigured("SMS_BACKEND must be 'console' or 'twilio'.")
SMS_API_URL = env.str("SMS_API_URL", default="https://api.twilio.com")
SMS_FROM = env.str("SMS_FROM", default="")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
if SMS_BACKEND == "twilio" and not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN and SMS_FROM):
    raise ImproperlyConfigured(
        "SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and SMS_FROM."
    )

# --- Payments ---------------------------------------------------------------------------------
# "simulated" (the embedded default: a checkout page of our own) or "stripe".
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="simulated")
if PAYMENT_GATEWAY not in ("simulated", "stripe"):
    raise ImproperlyConfigured("PAYMENT_GATEWAY must be 'simulated' or 'stripe'.")
# What the simulated gateway does with a card number that is not a test card.
SIMULATED_PAYMENT_OUTCOME = env.str("SIMULATED_PAYMENT_OUTCOME", default="success")
if SIMULATED_PAYMENT_OUTCOME not in ("success", "fail", "random"):
    raise ImproperlyConfigured("SIMULATED_PAYMENT_OUTCOME must be success, fail or random.")
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Only for a local fake (localstripe in tests): the Stripe API's base URL.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
if PAYMENT_GATEWAY == "stripe" and not (
    STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET
):
    raise ImproperlyConfigured(
        "PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and "
        "STRIPE_WEBHOOK_SECRET."
    )

# --- E-mail -----------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Clinix <no-reply@clinix.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Auth ---------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:appointment-list"

# Patients sign up and sign in with django-allauth (e-mail only, verified before booking).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Clinix] "
ACCOUNT_ADAPTER = "apps.accounts.adapter.AccountAdapter"
# Subclasses of allauth's forms: plain labels, no placeholders, names on sign-up and one
# transaction for the new account (ACCOUNT_SIGNUP_FORM_CLASS cannot do that last part).
ACCOUNT_FORMS = {
    "login": "apps.accounts.forms.LoginForm",
    "signup": "apps.accounts.forms.PatientSignupForm",
    "reset_password": "apps.accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "apps.accounts.forms.ResetPasswordKeyForm",
    "change_password": "apps.accounts.forms.ChangePasswordForm",
    "set_password": "apps.accounts.forms.SetPasswordForm",
    "add_email": "apps.accounts.forms.AddEmailForm",
}
ACCOUNT_LOGOUT_REDIRECT_URL = "portal:home"
# allauth's default rate limits apply (ACCOUNT_RATE_LIMITS unset): among them 5 failed
# sign-ins per email address in 5 minutes and 10 per IP address a minute ("login_failed"),
# which the back-office sign-in shares (apps.accounts.forms.RateLimitedAdminLoginForm).
# They are counted in the cache: the file cache locally, Redis when REDIS_URL is set.

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.authentication.PersonalTokenAuthentication",
        "apps.api.authentication.OIDCBearerAuthentication",
        "apps.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["apps.api.parsers.LimitedJSONParser"],
    # JSON only: an API client never gets an HTML page, errors included.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.PagePagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.api.throttling.UserThrottle",
        "apps.api.throttling.IPThrottle",
    ],
    "EXCEPTION_HANDLER": "apps.api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Behind a proxy, the client's address is the one the proxy added (see audit/middleware).
    "NUM_PROXIES": 1 if env.bool("TRUST_X_FORWARDED_FOR", default=False) else 0,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
API_THROTTLE_RATES = {
    "user": env.str("API_THROTTLE_USER", default="600/min"),
    "ip": env.str("API_THROTTLE_IP", default="1200/min"),
    "booking-writes": env.str("API_THROTTLE_BOOKING_WRITES", default="30/min"),
}
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=16_384)
SPECTACULAR_SETTINGS = {
    "TITLE": "Clinix API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "Find free times, book them exactly once, manage bookings. Errors are RFC 7807 "
        "`application/problem+json`; writes take an `Idempotency-Key`; lists are paginated "
        "(`?page=`, `?page_size=` up to 100, with `next`/`previous` links). See docs/api.md."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.api.schema.document_common_errors",
    ],
    "ENUM_NAME_OVERRIDES": {"BookingStatusEnum": "apps.bookings.models.BookingStatus"},
}

# --- Single sign-on (OpenID Connect; off unless the provider's endpoints are set) -----------
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = "openid email profile"
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=5)
# How long a verified access token is remembered, so not every API call asks the provider.
OIDC_TOKEN_CACHE_SECONDS = env.int("OIDC_TOKEN_CACHE_SECONDS", default=60)

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security (production values unless DEBUG) --------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Behind a proxy that sets X-Forwarded-For, the audit log records the client's address.
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)
# allauth counts rate limits per client IP: behind that proxy, take the address the proxy
# appended, not the proxy's own (one shared bucket would lock everybody out at once).
ALLAUTH_TRUSTED_PROXY_COUNT = 1 if TRUST_X_FORWARDED_FOR else 0
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Clinix -------------------------------------------------------------------------------------
# How long a held booking (awaiting payment) keeps its slot.
BOOKING_HOLD_MINUTES = env.int("BOOKING_HOLD_MINUTES", default=15)
# How long a booking waits for the doctor's lock before answering "busy, try again".
BOOKING_LOCK_TIMEOUT_MS = env.int("BOOKING_LOCK_TIMEOUT_MS", default=3000)
# How long a freed time stays held for the patient a waitlist offers it to.
WAITLIST_OFFER_MINUTES = env.int("WAITLIST_OFFER_MINUTES", default=30)
# The longest date range one waitlist entry may cover.
WAITLIST_MAX_DAYS = env.int("WAITLIST_MAX_DAYS", default=60)
# How many days after a visit its patient may still review it.
REVIEW_WINDOW_DAYS = env.int("REVIEW_WINDOW_DAYS", default=30)
# How many days ahead slots are generated from the weekly schedules.
SLOT_HORIZON_DAYS = env.int("SLOT_HORIZON_DAYS", default=28)
