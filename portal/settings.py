"""One frozen Settings object, read from the environment once and passed down."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Setting(NamedTuple):
    """One setting: its environment variable, its attribute on Settings, its default, what it does."""

    variable: str
    name: str
    default: object
    doc: str


# Every setting, and the only place its default is stated; Settings declares their types.
# deploy/portal.env.example and the README must document each variable (tests check them).
SETTINGS_TABLE: tuple[Setting, ...] = (
    Setting("PORTAL_DATA_DIR", "data_dir", Path("./var"), "Folder for the SQLite file, prepared models and archives."),
    Setting("PORTAL_DATABASE_URL", "database_url", "", "sqlite:///path/to/file.db or postgresql://user@host:5432/db; default: an SQLite file in PORTAL_DATA_DIR."),
    Setting("PORTAL_SECRET_KEY", "secret_key", "", "Secret used to sign CSRF tokens, sessions and unsubscribe links. Required in production."),
    Setting("PORTAL_BASE_URL", "base_url", "http://127.0.0.1:8000", "Public address of the portal, used in links sent by e-mail."),
    Setting("PORTAL_SMTP_URL", "smtp_url", "", "smtp://user:pass@host:25 (plain), smtp+starttls://host:587, smtps://host:465; empty disables e-mail."),
    Setting("PORTAL_MAIL_FROM", "mail_from", "Guichet <guichet@localhost>", "Sender address of e-mails."),
    Setting("PORTAL_DB_POOL_SIZE", "db_pool_size", 10, "PostgreSQL connection pool size per process."),
    Setting("PORTAL_RATE_LIMIT", "rate_limit", "20/60", "Public submissions allowed per client: COUNT/SECONDS."),
    Setting("PORTAL_LOOKUP_LIMIT", "lookup_limit", "60/600", "Reads by reference allowed per client (tracking and confirmation pages, API): COUNT/SECONDS."),
    Setting("PORTAL_LOOKUP_MISS_LIMIT", "lookup_miss_limit", "10/3600", "Unknown references and wrong tracking keys allowed per client: COUNT/SECONDS."),
    Setting("PORTAL_MAX_BODY_BYTES", "max_body_bytes", 65536, "Largest request body accepted, in bytes."),
    Setting("PORTAL_SECURE_COOKIES", "secure_cookies", False, "Mark cookies Secure (true behind HTTPS)."),
    Setting("PORTAL_TRUSTED_PROXIES", "trusted_proxies", (), "Comma-separated proxy addresses whose X-Forwarded-For is trusted for rate limiting."),
    Setting("PORTAL_MODEL_DIR", "model_dir", "", "A local Hugging Face encoder folder; default: the bundled multilingual-e5-small prepared in PORTAL_DATA_DIR."),
    Setting("PORTAL_RUN_WORKER", "run_worker", True, "Run the classification worker inside the web process (quick start); false when `portal worker` runs apart."),
    Setting("PORTAL_RUN_SCHEDULER", "run_scheduler", True, "Run the digest scheduler inside the web process; false when `portal scheduler` runs apart."),
    Setting("PORTAL_LOG_LEVEL", "log_level", "INFO", "Logging level."),
    Setting("PORTAL_TIME_ZONE", "time_zone", "Europe/Paris", "Time zone in which staff, counter and kiosk pages show times (an IANA name), the zone named beside each time."),
    Setting("PORTAL_PUBLIC_MIN_COUNT", "public_min_count", 5, "Smallest count public results and open data show (below: \"fewer than N\"); rates need at least this many answers."),
    Setting("PORTAL_OPEN_DATA_LICENCE", "open_data_licence", "Licence Ouverte 2.0 (Etalab)", "Licence of the open-data files, as named on the open-data page and in datapackage.json."),
    Setting("PORTAL_OPEN_DATA_LICENCE_URL", "open_data_licence_url", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/", "Address of the licence's text."),
    Setting("PORTAL_DASHBOARD_MIN_ANSWERS", "dashboard_min_answers", 30, "Labelled answers a channel or an office needs on a dashboard before it is ranked against the others; below, it reads \"too few answers to compare\"."),
    Setting("PORTAL_PASSWORD_SIGNIN", "password_signin", True, "Staff may sign in with an e-mail and a password; false leaves only OpenID Connect."),
    Setting("PORTAL_OIDC_ISSUER", "oidc_issuer", "", "Issuer URL of the OpenID Connect provider for staff sign-in (its metadata is read from ISSUER/.well-known/openid-configuration); empty: no single sign-on."),
    Setting("PORTAL_OIDC_CLIENT_ID", "oidc_client_id", "", "Client id the provider gave the portal."),
    Setting("PORTAL_OIDC_CLIENT_SECRET", "oidc_client_secret", "", "Client secret the provider gave the portal."),
    Setting("PORTAL_OIDC_SCOPES", "oidc_scopes", "openid email given_name usual_name", "Scopes asked of the provider, separated by spaces (ProConnect's names by default)."),
    Setting("PORTAL_OIDC_PROVIDER_NAME", "oidc_provider_name", "ProConnect", "Name of the provider on the sign-in button."),
    Setting("PORTAL_OIDC_ALLOWED_DOMAINS", "oidc_allowed_domains", (), "Comma-separated e-mail domains allowed to sign in with the provider; empty: any domain (the account must still exist)."),
    Setting("PORTAL_OIDC_SIGNUP_DOMAINS", "oidc_signup_domains", (), "Comma-separated DOMAIN:ROLE pairs (role agent or owner): a person of that domain without an account gets one with that role at first sign-in."),
    Setting("PORTAL_OPEN311_JURISDICTION_ID", "open311_jurisdiction_id", "", "The jurisdiction_id of the Open311 endpoint (optional in requests; another value answers 404); empty: the host of PORTAL_BASE_URL."),
    Setting("PORTAL_OPEN311_RATE_LIMIT", "open311_rate_limit", "60/60", "Open311 POST requests allowed per partner API key (and failed key checks per client): COUNT/SECONDS."),
    Setting("PORTAL_PUBLIC_HOLIDAYS", "public_holidays", (), "Comma-separated dates (YYYY-MM-DD) that are not working days when a due date is counted; Saturdays and Sundays never are."),
    Setting("PORTAL_REMINDER_TIME", "reminder_time", "08:00", "Local time (HH:MM, in PORTAL_TIME_ZONE) from which the scheduler sends each working day's reminder of overdue items."),
    Setting("PORTAL_REDIS_URL", "redis_url", "", "redis://host:6379/0: where several processes count their rate limits together; empty: no Redis."),
    Setting("PORTAL_RATE_LIMIT_STORE", "rate_limit_store", "", "Where rate limits are counted: memory (each process alone), redis or database; empty: redis when PORTAL_REDIS_URL is set, else memory."),
    Setting("PORTAL_REDIS_NAMESPACE", "redis_namespace", "guichet", "Prefix of the portal's Redis keys, so several portals can share one Redis."),
    Setting("PORTAL_DATABASE_POOLER", "database_pooler", "", "pgbouncer when PORTAL_DATABASE_URL (and the replica's) points at PgBouncer in transaction mode (statements are then not kept prepared); empty: a direct connection."),
    Setting("PORTAL_DATABASE_REPLICA_URL", "database_replica_url", "", "postgresql://... of a read replica for public results, open data and staff dashboards; empty, or the replica unreachable: they read the primary."),
    Setting("PORTAL_RETENTION_MONTHS", "retention_months", 12, "Months after an item is closed (and untouched) before the daily retention job erases its personal data: contact e-mail, original text, comments; 0: never by age."),
    Setting("PORTAL_STAFF_INACTIVE_MONTHS", "staff_inactive_months", 12, "Months without a sign-in or any action after which the daily retention job deactivates a staff account (never the last administrator); 0: never."),
    Setting("PORTAL_METRICS_TOKEN", "metrics_token", "", "Bearer token that /metrics requires; empty: /metrics answers 404 unless PORTAL_METRICS_ALLOW names the client."),
    Setting("PORTAL_METRICS_ALLOW", "metrics_allow", (), "Comma-separated addresses or networks (127.0.0.1,10.0.0.0/8) that may read /metrics without a token when PORTAL_METRICS_TOKEN is empty (with a token set: the only ones that may present it)."),
    Setting("PORTAL_METRICS_DIR", "metrics_dir", "", "Folder, local to the machine, where every process of the portal writes its figures for /metrics; default: PORTAL_DATA_DIR/metrics."),
    Setting("PORTAL_LOG_FORMAT", "log_format", "text", "Log lines as text (one readable line) or json (one JSON object a line, for a log collector)."),
)

# PORTAL_DATABASE_POOLER values: none (a direct connection), or PgBouncer in transaction mode.
POOLERS = ("", "pgbouncer")

# Roles an account may get by signing up through the provider: never admin, and a clerk needs an office.
SIGNUP_ROLES = ("agent", "owner")
# Where rate limits may be counted ("" chooses: redis when PORTAL_REDIS_URL is set, else memory).
RATE_LIMIT_STORES = ("", "memory", "redis", "database")


def _as_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """The settings of one process; build them with from_env() or build(), which fill the defaults."""

    data_dir: Path
    database_url: str
    secret_key: str
    base_url: str
    smtp_url: str
    mail_from: str
    db_pool_size: int
    rate_limit: str
    lookup_limit: str
    lookup_miss_limit: str
    max_body_bytes: int
    secure_cookies: bool
    trusted_proxies: tuple[str, ...]
    model_dir: str
    run_worker: bool
    run_scheduler: bool
    log_level: str
    time_zone: str
    public_min_count: int
    open_data_licence: str
    open_data_licence_url: str
    dashboard_min_answers: int
    password_signin: bool
    oidc_issuer: str
    oidc_client_id: str
    oidc_client_secret: str
    oidc_scopes: str
    oidc_provider_name: str
    oidc_allowed_domains: tuple[str, ...]
    oidc_signup_domains: tuple[str, ...]
    open311_jurisdiction_id: str
    open311_rate_limit: str
    public_holidays: tuple[str, ...]
    reminder_time: str
    redis_url: str
    rate_limit_store: str
    redis_namespace: str
    database_pooler: str
    database_replica_url: str
    retention_months: int
    staff_inactive_months: int
    metrics_token: str
    metrics_allow: tuple[str, ...]
    metrics_dir: str
    log_format: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if environ is None else environ
        values = {setting.name: env[setting.variable] for setting in SETTINGS_TABLE if setting.variable in env}
        return cls.build(**{**values, **overrides})

    @classmethod
    def build(cls, **values) -> "Settings":
        """Coerce raw strings into typed settings, take the table's default for the others, fill derived defaults."""
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        out: dict = {setting.name: setting.default for setting in SETTINGS_TABLE}
        for name, value in values.items():
            kind = types.get(name)
            if kind is None:
                raise TypeError(f"unknown setting {name!r}")
            if isinstance(value, str):
                if kind in ("bool", bool):
                    value = _as_bool(value)
                elif kind in ("int", int):
                    value = int(value)
                elif kind in ("Path", Path):
                    value = Path(value)
                elif name == "trusted_proxies":
                    value = tuple(p.strip() for p in value.split(",") if p.strip())
                elif name in ("public_holidays", "metrics_allow"):
                    value = tuple(p.strip() for p in value.split(",") if p.strip())
                elif name in ("oidc_allowed_domains", "oidc_signup_domains"):
                    value = tuple(p.strip().lower() for p in value.split(",") if p.strip())
            out[name] = value
        settings = cls(**out)
        try:
            ZoneInfo(settings.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"PORTAL_TIME_ZONE: unknown time zone {settings.time_zone!r} (for example Europe/Paris)") from None
        if settings.dashboard_min_answers < 1:
            raise ValueError("PORTAL_DASHBOARD_MIN_ANSWERS must be at least 1")
        try:
            [dt.date.fromisoformat(d) for d in settings.public_holidays]
        except ValueError:
            raise ValueError(f"PORTAL_PUBLIC_HOLIDAYS: dates are written YYYY-MM-DD, comma-separated: {settings.public_holidays!r}") from None
        hour, _, minute = settings.reminder_time.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60 and len(minute) == 2):
            raise ValueError(f"PORTAL_REMINDER_TIME: a local time HH:MM, for example 08:00: {settings.reminder_time!r}")
        if settings.log_format not in ("text", "json"):
            raise ValueError(f"PORTAL_LOG_FORMAT: text or json: {settings.log_format!r}")
        try:
            [ipaddress.ip_network(n, strict=False) for n in settings.metrics_allow]
        except ValueError:
            raise ValueError(f"PORTAL_METRICS_ALLOW: addresses or networks, comma-separated (127.0.0.1,10.0.0.0/8): {settings.metrics_allow!r}") from None
        settings.oidc_signup_roles  # a wrong DOMAIN:ROLE pair stops the start, not a sign-in
        if settings.oidc_issuer and not (settings.oidc_client_id and settings.oidc_client_secret):
            raise ValueError("PORTAL_OIDC_ISSUER is set: PORTAL_OIDC_CLIENT_ID and PORTAL_OIDC_CLIENT_SECRET are needed too")
        if not settings.password_signin and not settings.oidc_enabled:
            raise ValueError("PORTAL_PASSWORD_SIGNIN=false needs an OpenID Connect provider (PORTAL_OIDC_ISSUER): "
                             "otherwise nobody can sign in")
        if settings.public_min_count < 1:
            raise ValueError("PORTAL_PUBLIC_MIN_COUNT must be 1 or more")
        if settings.rate_limit_store not in RATE_LIMIT_STORES:
            raise ValueError(f"PORTAL_RATE_LIMIT_STORE: one of memory, redis, database (or empty): {settings.rate_limit_store!r}")
        if settings.rate_limit_store == "redis" and not settings.redis_url:
            raise ValueError("PORTAL_RATE_LIMIT_STORE=redis needs PORTAL_REDIS_URL")
        if settings.database_pooler not in POOLERS:
            raise ValueError(f"PORTAL_DATABASE_POOLER: {settings.database_pooler!r} is not one of: pgbouncer, or empty")
        if settings.database_replica_url and not (
            settings.is_postgres and settings.database_replica_url.startswith(("postgres://", "postgresql://"))
        ):
            raise ValueError("PORTAL_DATABASE_REPLICA_URL: a postgresql:// address, beside a PostgreSQL PORTAL_DATABASE_URL")
        if not settings.database_url:
            settings = dataclasses.replace(
                settings, database_url=f"sqlite:///{(settings.data_dir / 'portal.db').resolve()}"
            )
        if not settings.secret_key:
            settings = dataclasses.replace(settings, secret_key=_local_secret(settings.data_dir))
        return settings

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def oidc_signup_roles(self) -> dict[str, str]:
        """{e-mail domain: role of the account made at first sign-in}, from PORTAL_OIDC_SIGNUP_DOMAINS."""
        roles = {}
        for pair in self.oidc_signup_domains:
            domain, _, role = pair.partition(":")
            if not domain or role not in SIGNUP_ROLES:
                raise ValueError(f"PORTAL_OIDC_SIGNUP_DOMAINS: {pair!r} is not DOMAIN:ROLE with a role among {', '.join(SIGNUP_ROLES)}")
            roles[domain] = role
        return roles

    @property
    def metrics_path(self) -> Path:
        """Where this machine's processes write their figures for /metrics."""
        return Path(self.metrics_dir) if self.metrics_dir else self.data_dir / "metrics"

    @property
    def rate_limit_pair(self) -> tuple[int, int]:
        return _pair(self.rate_limit)

    @property
    def lookup_limit_pair(self) -> tuple[int, int]:
        return _pair(self.lookup_limit)

    @property
    def open311_rate_limit_pair(self) -> tuple[int, int]:
        return _pair(self.open311_rate_limit)

    @property
    def lookup_miss_limit_pair(self) -> tuple[int, int]:
        return _pair(self.lookup_miss_limit)

    @property
    def rate_limits_in(self) -> str:
        """Where rate limits are counted: memory, redis or database."""
        return self.rate_limit_store or ("redis" if self.redis_url else "memory")


def _pair(value: str) -> tuple[int, int]:
    """COUNT/SECONDS as two numbers; SECONDS defaults to 60."""
    count, _, seconds = value.partition("/")
    return int(count), int(seconds or 60)


def _local_secret(data_dir: Path) -> str:
    """A per-installation secret kept in the data folder, so a quick start needs no setup."""
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        path.write_text(secret)
        path.chmod(0o600)
        return secret
