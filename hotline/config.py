"""Configuration: defaults, then ``HOTLINE_*`` environment variables, then test_config.

Nothing here touches the network or the disk except to compute paths.
"""

from __future__ import annotations

import os
from pathlib import Path

ENVIRONMENTS = ("production", "development", "testing")


class ConfigError(RuntimeError):
    """Raised when the application refuses to start with the given configuration."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def load(instance_path: str, test_config: dict | None = None) -> dict:
    """Return the configuration mapping for a new application."""
    env = os.environ
    config = _from_environment(env, instance_path)
    config.update(_delivery_settings(env))
    if test_config:
        config.update(test_config)
    _check_and_complete(config)
    return config


def _from_environment(env, instance_path: str) -> dict:
    """The settings read from ``HOTLINE_*`` variables, with their defaults."""
    return {
        "HOTLINE_ENV": env.get("HOTLINE_ENV", "production"),
        "SECRET_KEY": env.get("HOTLINE_SECRET_KEY") or None,
        "DATA_DIR": env.get("HOTLINE_DATA_DIR") or instance_path,
        "DATABASE_URL": env.get("HOTLINE_DATABASE_URL") or None,
        "REDIS_URL": env.get("HOTLINE_REDIS_URL") or None,
        # API bearer tokens last one working shift by default.
        "TOKEN_TTL_HOURS": _int("HOTLINE_TOKEN_TTL_HOURS", 12),
        # Request bodies: tickets are text, 1 MiB is generous.
        "MAX_CONTENT_LENGTH": _int("HOTLINE_MAX_CONTENT_LENGTH", 1024 * 1024),
        "MAX_FORM_MEMORY_SIZE": 512 * 1024,
        # Attachments (hotline.attachments): the largest file accepted, in bytes (a view
        # that takes files reads up to five of them); where the bytes live ("folder": under
        # ATTACHMENT_DIR, by default <data dir>/attachments; or "package.module:factory").
        "ATTACHMENT_MAX_BYTES": _int("HOTLINE_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024),
        "ATTACHMENT_STORAGE": env.get("HOTLINE_ATTACHMENT_STORAGE") or "folder",
        "ATTACHMENT_DIR": env.get("HOTLINE_ATTACHMENT_DIR") or None,
        # The public web form (网上留言): a form sent sooner than this after its page was
        # served is refused (people take longer than scripts); the category of a request whose
        # writer chose none (empty: the first active category named 其他…).
        "WEB_FORM_MIN_SECONDS": _float("HOTLINE_WEB_FORM_MIN_SECONDS", 3.0),
        "WEB_FORM_CATEGORY": env.get("HOTLINE_WEB_FORM_CATEGORY") or None,
        "MAX_FORM_PARTS": 200,
        # The sign-in throttle (hotline.accounts.throttle): failures of one client address with
        # one username before it must wait (1 min, doubling up to LOGIN_LOCK_MINUTES), of one
        # address with any username, of one username from addresses it never signed in from.
        "LOGIN_MAX_FAILURES": _int("HOTLINE_LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCK_MINUTES": _int("HOTLINE_LOGIN_LOCK_MINUTES", 15),
        "LOGIN_ADDRESS_MAX_FAILURES": _int("HOTLINE_LOGIN_ADDRESS_MAX_FAILURES", 20),
        "LOGIN_ACCOUNT_MAX_FAILURES": _int("HOTLINE_LOGIN_ACCOUNT_MAX_FAILURES", 10),
        # Reverse proxies in front of the app whose X-Forwarded-For is trusted (hotline.core.clients).
        "TRUSTED_PROXIES": _int("HOTLINE_TRUSTED_PROXIES", 0),
        # Open311 GeoReport v2: the one jurisdiction served, and who clients write to.
        "OPEN311_JURISDICTION_ID": env.get("HOTLINE_OPEN311_JURISDICTION_ID") or "12345.example.gov.cn",
        "OPEN311_CONTACT": env.get("HOTLINE_OPEN311_CONTACT") or "12345热线管理中心",
        "TIMEZONE": env.get("HOTLINE_TIMEZONE", "Asia/Shanghai"),
        # The centre's telephone area code (e.g. 0757): a 7–8 digit local landline heard
        # without it is completed with it. Unset: such numbers are refused.
        "AREA_CODE": env.get("HOTLINE_AREA_CODE") or None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "hotline_session",
        "PERMANENT_SESSION_LIFETIME": _int("HOTLINE_SESSION_HOURS", 12) * 3600,
        "REMEMBER_COOKIE_DURATION": 0,
        "WTF_CSRF_TIME_LIMIT": None,
        # The deadline watch: how often the embedded timer sweeps (0: never), how many
        # deadlines one transaction handles, and a pause between batches (tests only).
        "SWEEP_INTERVAL_SECONDS": _float("HOTLINE_SWEEP_INTERVAL_SECONDS", 60),
        "SWEEP_BATCH_SIZE": _int("HOTLINE_SWEEP_BATCH_SIZE", 500),
        "SWEEP_BATCH_PAUSE_SECONDS": _float("HOTLINE_SWEEP_BATCH_PAUSE_SECONDS", 0),
        # Semantic search (KB_SEMANTIC, set below): vectors are reloaded at most this often.
        "KB_VECTOR_REFRESH_SECONDS": _float("HOTLINE_KB_VECTOR_REFRESH_SECONDS", 5.0),
        # Each host's search index catches up with the database's changes at most this often
        # (knowledge_base.indexing.freshen; 0: before every search).
        "KB_INDEX_SYNC_SECONDS": _float("HOTLINE_KB_INDEX_SYNC_SECONDS", 2.0),
        # A search waits for the semantic side at most as long as its lexical side took plus
        # this; the niceness of processes that embed articles (kb_vectors workers, kb embed).
        "KB_SEMANTIC_BUDGET_MS": _float("HOTLINE_KB_SEMANTIC_BUDGET_MS", 25.0),
        "KB_WORKER_NICE": _int("HOTLINE_KB_WORKER_NICE", 10),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "JSON_SORT_KEYS": False,
    }


def _check_and_complete(config: dict) -> None:
    """Refuse what cannot run (ConfigError), then fill in what follows from the rest."""
    if config["HOTLINE_ENV"] not in ENVIRONMENTS:
        raise ConfigError(f"HOTLINE_ENV must be one of {', '.join(ENVIRONMENTS)}, got {config['HOTLINE_ENV']!r}")
    production = config["HOTLINE_ENV"] == "production"
    if not config["SECRET_KEY"]:
        if production:
            raise ConfigError(
                "HOTLINE_SECRET_KEY must be set in production (set HOTLINE_ENV=development for a local demo)"
            )
        config["SECRET_KEY"] = "development-only-not-secret"
    _check_delivery_settings(config)
    # Cookies only over HTTPS (and HSTS sent): on in production unless switched off.
    config.setdefault("SESSION_COOKIE_SECURE", _bool("HOTLINE_SESSION_COOKIE_SECURE", production))
    config.setdefault("TESTING", config["HOTLINE_ENV"] == "testing")
    # werkzeug's method for new password hashes (empty: its default, scrypt). The test
    # suite sets a cheap one: thousands of sign-ins, none of them guarded.
    config.setdefault("PASSWORD_HASH_METHOD", os.environ.get("HOTLINE_PASSWORD_HASH_METHOD") or None)
    # The embedded mode's sweep thread (never in tests unless a test asks for it).
    config.setdefault("SWEEP_TIMER", config["HOTLINE_ENV"] != "testing")
    # Semantic search (knowledge_base.search.semantic): on unless switched off, except in
    # tests, which turn it on where they test it. Without the model installed, search stays
    # lexical whatever this says.
    config.setdefault("KB_SEMANTIC", _bool("HOTLINE_KB_SEMANTIC", config["HOTLINE_ENV"] != "testing"))
    # The engine the model runs on (knowledge_base.search.engine reads it when it loads).
    if (os.environ.get("HOTLINE_KB_ENGINE") or "").strip().lower() not in ("", "built", "wheel"):
        raise ConfigError("HOTLINE_KB_ENGINE must be built or wheel")
    # Web processes load the search's parts before their first search (knowledge_base.warmup);
    # not in tests, which load what they test.
    config.setdefault("KB_WARM_UP", _bool("HOTLINE_KB_WARM_UP", config["HOTLINE_ENV"] != "testing"))
    # The dashboard (hotline.reports.dashboard): how long the month's figures are kept before
    # they are recomputed in the background (0: computed in every request, as in tests), and
    # how often the page refreshes itself.
    config.setdefault(
        "DASHBOARD_CACHE_SECONDS", _int("HOTLINE_DASHBOARD_CACHE_SECONDS", 0 if config["TESTING"] else 300)
    )
    # Without Redis, whether a request's jobs run on the process's background thread after
    # its answer (hotline.core.jobs) rather than before it: unset, gunicorn's workers turn it
    # on (gunicorn.conf.py) and everything else (the CLI, tests, `flask run`) runs them in turn.
    if "INLINE_JOBS_BACKGROUND" not in config and os.environ.get("HOTLINE_INLINE_JOBS_BACKGROUND"):
        config["INLINE_JOBS_BACKGROUND"] = _bool("HOTLINE_INLINE_JOBS_BACKGROUND", False)
    # Message templates and deadline policies kept in each process (hotline.core.kept): how
    # long another process's change may take to be seen here (0: read in every request).
    config.setdefault("SETTINGS_CACHE_SECONDS", _int("HOTLINE_SETTINGS_CACHE_SECONDS", 0 if config["TESTING"] else 30))
    if config["SETTINGS_CACHE_SECONDS"] < 0:
        raise ConfigError("HOTLINE_SETTINGS_CACHE_SECONDS must be 0 or more")
    # Closed months' figures read from their stored rollups (hotline.reports.rollups) when
    # current; off: every figure computed live (the benches compare the two).
    config.setdefault("REPORT_ROLLUPS", _bool("HOTLINE_REPORT_ROLLUPS", True))
    config.setdefault("DASHBOARD_REFRESH_SECONDS", _int("HOTLINE_DASHBOARD_REFRESH_SECONDS", 60))
    if config["DASHBOARD_CACHE_SECONDS"] < 0 or config["DASHBOARD_REFRESH_SECONDS"] < 1:
        raise ConfigError(
            "HOTLINE_DASHBOARD_CACHE_SECONDS must be 0 or more, HOTLINE_DASHBOARD_REFRESH_SECONDS 1 or more"
        )
    # The work queues (hotline.queues): how often the menu's counts refresh, and an open
    # queue or list fetches itself again (its countdowns), in seconds.
    # Dispatch suggestions (hotline.routing): how often a process looks for a newer model (0 in
    # tests: at once), how often the embedded timer retrains, and how many of the newest closed
    # tickets (and returns) a training reads.
    config.setdefault(
        "SUGGEST_REFRESH_SECONDS", _float("HOTLINE_SUGGEST_REFRESH_SECONDS", 0 if config["TESTING"] else 60)
    )
    config.setdefault("SUGGEST_TRAIN_SECONDS", _float("HOTLINE_SUGGEST_TRAIN_SECONDS", 3600))
    config.setdefault("SUGGEST_MAX_EXAMPLES", _int("HOTLINE_SUGGEST_MAX_EXAMPLES", 50_000))
    if (
        config["SUGGEST_REFRESH_SECONDS"] < 0
        or config["SUGGEST_TRAIN_SECONDS"] < 60
        or config["SUGGEST_MAX_EXAMPLES"] < 1
    ):
        raise ConfigError(
            "HOTLINE_SUGGEST_REFRESH_SECONDS must be 0 or more, HOTLINE_SUGGEST_TRAIN_SECONDS 60 or more, "
            "HOTLINE_SUGGEST_MAX_EXAMPLES 1 or more"
        )
    config.setdefault("QUEUE_COUNTS_REFRESH_SECONDS", _int("HOTLINE_QUEUE_COUNTS_REFRESH_SECONDS", 30))
    config.setdefault("QUEUE_PAGE_REFRESH_SECONDS", _int("HOTLINE_QUEUE_PAGE_REFRESH_SECONDS", 60))
    if config["QUEUE_COUNTS_REFRESH_SECONDS"] < 1 or config["QUEUE_PAGE_REFRESH_SECONDS"] < 1:
        raise ConfigError(
            "HOTLINE_QUEUE_COUNTS_REFRESH_SECONDS and HOTLINE_QUEUE_PAGE_REFRESH_SECONDS must be 1 or more"
        )
    if config["SWEEP_BATCH_SIZE"] < 1:
        raise ConfigError("HOTLINE_SWEEP_BATCH_SIZE must be at least 1")

    data_dir = Path(config["DATA_DIR"])
    config["DATA_DIR"] = str(data_dir)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{data_dir / 'hotline.sqlite3'}"
    config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(config["DATABASE_URL"])
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(config["SQLALCHEMY_DATABASE_URI"]))


def _bool(name: str, default: bool) -> bool:
    raw = (os.environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _seconds(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """A comma-separated list of retry intervals in seconds, e.g. ``30,120,600``."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError as exc:
        raise ConfigError(f"{name} must be seconds separated by commas, got {raw!r}") from exc
    if any(v < 0 for v in values) or len(values) > 20:
        raise ConfigError(f"{name}: at most 20 intervals, none negative")
    return values


def _delivery_settings(env) -> dict:
    """Notifications (SMS gateway, SMTP) and the e-supervision connector. Unset = record only."""
    return {
        "SMS_GATEWAY_URL": env.get("HOTLINE_SMS_GATEWAY_URL") or None,
        "SMS_GATEWAY_TOKEN": env.get("HOTLINE_SMS_GATEWAY_TOKEN") or None,
        "SMTP_HOST": env.get("HOTLINE_SMTP_HOST") or None,
        "SMTP_PORT": _int("HOTLINE_SMTP_PORT", 587),
        "SMTP_USER": env.get("HOTLINE_SMTP_USER") or None,
        "SMTP_PASSWORD": env.get("HOTLINE_SMTP_PASSWORD") or None,
        "SMTP_FROM": env.get("HOTLINE_SMTP_FROM") or None,
        "SMTP_STARTTLS": _bool("HOTLINE_SMTP_STARTTLS", True),
        # Retries after the first attempt (seconds before each); rq's Retry with a backoff.
        "NOTIFY_RETRY_INTERVALS": _seconds("HOTLINE_NOTIFY_RETRY_INTERVALS", (30, 120, 600)),
        "ESUP_URL": env.get("HOTLINE_ESUP_URL") or None,
        "ESUP_SECRET": env.get("HOTLINE_ESUP_SECRET") or None,
        "ESUP_RETRY_INTERVALS": _seconds("HOTLINE_ESUP_RETRY_INTERVALS", (60, 300, 1800, 7200)),
        # Seconds to wait for the SMS gateway, the SMTP server or the e-supervision system.
        "DELIVERY_TIMEOUT": _int("HOTLINE_DELIVERY_TIMEOUT", 10),
    }


def _check_delivery_settings(config: dict) -> None:
    if config.get("ESUP_URL") and not config.get("ESUP_SECRET"):
        raise ConfigError("HOTLINE_ESUP_SECRET must be set when HOTLINE_ESUP_URL is (deliveries are signed)")
    if config.get("SMTP_HOST") and not config.get("SMTP_FROM"):
        raise ConfigError("HOTLINE_SMTP_FROM must be set when HOTLINE_SMTP_HOST is")


def _normalise_database_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (what most people write)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # 30 s busy timeout: writers queue behind BEGIN IMMEDIATE instead of failing; and
        # they queue on a lock file first, which wakes the next one the moment the lock is
        # free (hotline.core.db.SerialisedWrites).
        from .core.db import SerialisedWrites

        return {"connect_args": {"timeout": 30, "factory": SerialisedWrites}}
    # No pool_pre_ping: hotline.core.db pings only connections that have been idle.
    return {"pool_size": 10, "max_overflow": 20}
