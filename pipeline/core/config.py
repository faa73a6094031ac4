"""Configuration: where it lives, how it is validated, how the environment overrides it.

Two directories matter to every command:

* the **config dir** (``--config-dir``, env ``YUQING_CONFIG_DIR``, default ``./config``) holds the
  YAML a union edits: ``settings.yaml`` (this module) and one file per concern — ``sources.yaml``
  (crawlers), ``org.yaml`` (union hierarchy), ``taxonomy.yaml`` (topics), ``alerts.yaml`` (alert
  rules). Each concern's owner loads its file with :func:`load_yaml_model`.
* the **data dir** (``--data-dir``, env ``YUQING_DATA_DIR``, default ``./var``) holds all runtime
  state: the SQLite post store, the state database, models, spool, cursors, archives.

Secrets and endpoints come from the environment and override the YAML (:data:`ENV_OVERRIDES`).
Invalid configuration fails fast with :class:`ConfigError` naming the file, the key and the reason.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from yuqing.pipeline.core.resources import shipped_config_dir

T = TypeVar("T", bound=BaseModel)


class ConfigError(Exception):
    """Configuration that cannot be used: names the file, the key and the reason."""

    def __init__(self, file: str | Path, key: str, reason: str):
        self.file, self.key, self.reason = str(file), key, reason
        super().__init__(f"{file}: {key}: {reason}" if key else f"{file}: {reason}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- storage -------------------------------------------------------------------------------


class SqliteSettings(_Section):
    path: str = "posts.db"  # relative to the data dir


class ElasticsearchSettings(_Section):
    url: str = "http://127.0.0.1:9200"
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_certs: str | None = None
    verify_certs: bool = True
    index_prefix: str = Field(default="yuqing", pattern=r"^[a-z][a-z0-9_-]*$")
    request_timeout: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=3, ge=0)
    bulk_chunk_size: int = Field(default=2000, ge=1)
    bulk_threads: int = Field(default=2, ge=1, le=16)  # concurrent bulk requests per batch
    # how soon new posts become searchable; readers that need them at once call store.refresh()
    refresh_interval: str = Field(default="5s", pattern=r"^(-1|[1-9][0-9]*(ms|s|m))$")
    shards: int = Field(default=1, ge=1)
    replicas: int = Field(default=0, ge=0)


class StoreSettings(_Section):
    backend: Literal["sqlite", "elasticsearch"] = "sqlite"
    sqlite: SqliteSettings = Field(default_factory=SqliteSettings)
    elasticsearch: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)


class StateSettings(_Section):
    # SQLAlchemy URL of the state database (alerts, jobs, users). Default: SQLite in the data dir.
    url: str | None = None


# --- ingest ----------------------------------------------------------------------------------


class DedupeSettings(_Section):
    # estimated Jaccard similarity (char 3-shingles) from which two posts are one story
    min_jaccard: float = Field(default=0.7, gt=0, le=1)
    min_chars: int = Field(default=16, ge=1)  # shorter texts are only matched exactly
    window_days: float = Field(default=14, gt=0)


class IngestSettings(_Section):
    batch_size: int = Field(default=1000, ge=1)
    max_content_chars: int = Field(default=100_000, ge=1000)
    classify: bool = True
    link: bool = True


# --- later stages (each owner fills its own section) -----------------------------------------


class ClassifierSettings(_Section):
    model_dir: str = "models"  # relative to the data dir
    max_topics: int = Field(default=3, ge=0, le=3)


class SmtpSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False
    sender: str = "yuqing@localhost"
    timeout: float = 20.0


class NotifySettings(_Section):
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    console_url: str = "http://127.0.0.1:8000"  # base of the links in messages


def _check_cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {value!r} (minute hour day month weekday): {exc}") from exc
    return value


class SchedulerSettings(_Section):
    """``yuqing run``: how often the recurring jobs fire and how the daemon behaves."""

    enabled: bool = True
    alerts_evaluate_minutes: float = Field(default=5, gt=0)     # alert rules evaluated
    alerts_escalate_minutes: float = Field(default=1, gt=0)     # unacknowledged incidents escalated
    outbox_seconds: float = Field(default=15, gt=0)             # pending notifications delivered
    crawl_timeout_minutes: float = Field(default=60, gt=0)      # a crawl child is killed after this
    misfire_grace_seconds: int = Field(default=900, ge=1)       # a missed run still runs this late
    briefing_misfire_grace_hours: float = Field(default=12, gt=0)
    shutdown_grace_seconds: float = Field(default=30, ge=0)     # running jobs may finish this long
    max_workers: int = Field(default=6, ge=1, le=64)            # jobs running at the same time
    history_days: int = Field(default=90, ge=1)                 # job-run records kept
    notify_after_failures: int = Field(default=3, ge=1)         # admins told at this many failures in a row
    # the crawl child's command line; {python} {config_dir} {data_dir} {source} are filled in.
    # Default: {python} -m yuqing --config-dir {config_dir} --data-dir {data_dir} crawl {source}
    crawl_command: list[str] | None = None


class BriefingSettings(_Section):
    """The weekly briefing (舆情周报) and the optional daily digest."""

    recipients: list[str] = Field(default_factory=list)         # e-mail addresses of the weekly
    weekly_cron: str = "0 8 * * mon"                            # in ``timezone``
    daily_digest: bool = False
    daily_cron: str = "0 8 * * *"
    daily_recipients: list[str] = Field(default_factory=list)   # default: ``recipients``
    issuer: str = "朝阳区总工会"
    unit: str | None = None                                     # scope of the scheduled briefing
    top_events: int = Field(default=5, ge=1, le=20)
    # the scheduled weekly run also mails each subdistrict (each unit below ``unit``) with posts
    # its own briefing, to the e-mail addresses of its duty roster in org.yaml
    unit_briefings: bool = False

    _cron = field_validator("weekly_cron", "daily_cron")(_check_cron)

    @field_validator("recipients", "daily_recipients")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        for addr in v:
            if "@" not in addr or any(c.isspace() for c in addr):
                raise ValueError(f"not an e-mail address: {addr!r}")
        return v


class ConsoleSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str | None = None  # signs cookies; default: generated into data_dir/console-secret.key
    secure_cookies: Literal["auto", "always", "never"] = "auto"  # auto: Secure when served over https
    trusted_proxies: str = "127.0.0.1"  # whose X-Forwarded-Proto/For uvicorn believes
    session_idle_minutes: int = Field(default=720, ge=5)
    session_max_hours: int = Field(default=168, ge=1)
    max_failed_logins: int = Field(default=5, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    min_password_length: int = Field(default=10, ge=8)
    refresh_seconds: int = Field(default=30, ge=2)  # live refresh of the incident queue


class ReportSettings(_Section):
    """Grassroots reports (信息报送, ``yuqing.alerts.reports``): attachments and the review."""

    attachments_dir: str = "reports/attachments"                # relative to the data dir
    max_attachment_mb: float = Field(default=10, gt=0, le=200)  # per file
    max_attachments: int = Field(default=6, ge=0, le=30)        # per report (submission + supplements)
    # what a file's content (not its name) must be: jpeg png gif webp heic pdf
    attachment_types: list[Literal["jpeg", "png", "gif", "webp", "heic", "pdf"]] = Field(
        default_factory=lambda: ["jpeg", "png", "gif", "webp", "heic", "pdf"])
    notify_new: bool = True        # a new (一般) report is announced to the receiving level's duty roster


class CrawlSettings(_Section):
    """Crawling (crawlers/): credentials come from files or env vars named here, never from code."""

    cookies_file: str | None = None       # YAML/JSON {pool: ["k=v; k2=v2", ...]}; relative to config dir
    cookies_env: str = "YUQING_CRAWL_COOKIES"   # env var holding such a file's path or its JSON
    proxies_file: str | None = None       # one proxy URL a line (# comments); relative to config dir
    proxies_env: str = "YUQING_CRAWL_PROXIES"   # env var: comma-separated proxy URLs
    user_agent: str = ("Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/120.0 Mobile Safari/537.36")
    pause_minutes: float = Field(default=30, gt=0)      # first pause after a ban; doubles each time
    max_pause_hours: float = Field(default=24, gt=0)
    stale_factor: float = Field(default=3, ge=1)        # stale: no success for this many intervals
    stale_min_hours: float = Field(default=2, ge=0)
    alert_error_rate: float = Field(default=0.5, ge=0, le=1)  # over the last health_window runs
    health_window: int = Field(default=10, ge=1)
    ingest_batch_size: int = Field(default=200, ge=1)
    history: int = Field(default=50, ge=1)              # runs kept per source
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Settings(_Section):
    timezone: str = "Asia/Shanghai"
    store: StoreSettings = Field(default_factory=StoreSettings)
    state: StateSettings = Field(default_factory=StateSettings)
    dedupe: DedupeSettings = Field(default_factory=DedupeSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    briefing: BriefingSettings = Field(default_factory=BriefingSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)


#: environment variable → dotted settings key. Secrets and endpoints belong here, not in YAML.
ENV_OVERRIDES: dict[str, str] = {
    "YUQING_STORE": "store.backend",
    "YUQING_ES_URL": "store.elasticsearch.url",
    "YUQING_ES_API_KEY": "store.elasticsearch.api_key",
    "YUQING_ES_USERNAME": "store.elasticsearch.username",
    "YUQING_ES_PASSWORD": "store.elasticsearch.password",
    "YUQING_ES_CA_CERTS": "store.elasticsearch.ca_certs",
    "YUQING_ES_INDEX_PREFIX": "store.elasticsearch.index_prefix",
    "YUQING_STATE_URL": "state.url",
    "YUQING_SMTP_HOST": "notify.smtp.host",
    "YUQING_SMTP_PORT": "notify.smtp.port",
    "YUQING_SMTP_USERNAME": "notify.smtp.username",
    "YUQING_SMTP_PASSWORD": "notify.smtp.password",
    "YUQING_CONSOLE_URL": "notify.console_url",
}


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    node = tree
    *parents, leaf = dotted.split(".")
    for key in parents:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[leaf] = value


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning syntax errors into :class:`ConfigError` with line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(path, "", f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, "", f"invalid YAML: {where}{problem}") from exc


def validate_model(model: type[T], data: Any, file: str | Path) -> T:
    """Validate ``data`` against ``model`` and name the first bad key on failure."""
    if data is None:
        data = {}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        extra = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        value = err.get("input")
        shown = "" if isinstance(value, dict | list) or value is None else f" (got {value!r})"
        raise ConfigError(file, key, f"{err['msg']}{shown}{extra}") from exc


def load_yaml_model(config_dir: Path, filename: str, model: type[T], *, required: bool = True) -> T:
    """Load ``config_dir/filename`` into ``model``; a missing optional file gives the defaults."""
    path = Path(config_dir) / filename
    if not path.exists():
        if required:
            raise ConfigError(path, "", "file not found")
        return validate_model(model, {}, path)
    return validate_model(model, read_yaml(path), path)


def load_settings(config_dir: Path, environ: dict[str, str] | None = None) -> Settings:
    """``settings.yaml`` (optional) with the environment overrides applied on top."""
    environ = os.environ if environ is None else environ
    path = Path(config_dir) / "settings.yaml"
    data = read_yaml(path) if path.exists() else {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path, "", f"expected a mapping at the top, got {type(data).__name__}")
    explicit_backend = "YUQING_STORE" in environ
    for var, dotted in ENV_OVERRIDES.items():
        if environ.get(var):
            _set_dotted(data, dotted, environ[var])
    if environ.get("YUQING_ES_URL") and not explicit_backend:
        _set_dotted(data, "store.backend", "elasticsearch")
    source = f"{path} (with YUQING_* environment overrides)"
    return validate_model(Settings, data, source if any(v in environ for v in ENV_OVERRIDES) else path)


def default_config_dir() -> Path:
    """``$YUQING_CONFIG_DIR``, else ``./config`` when there is one, else the example configuration
    shipped inside the package (so an installed ``yuqing`` runs anywhere out of the box)."""
    if os.environ.get("YUQING_CONFIG_DIR"):
        return Path(os.environ["YUQING_CONFIG_DIR"])
    local = Path("config")
    return local if local.is_dir() else shipped_config_dir()


def default_data_dir() -> Path:
    return Path(os.environ.get("YUQING_DATA_DIR") or "var")
