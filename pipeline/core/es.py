"""The one way yuqing talks to Elasticsearch: client, credentials, TLS, retries and error messages.

Posts (:mod:`yuqing.pipeline.store.elastic`), incidents (:mod:`yuqing.alerts.index`) and anything
later build their client with :func:`make_client` from ``store.elasticsearch`` in the settings
(``YUQING_ES_*`` in the environment), and send requests through :func:`call` — so credentials that
work for posts work for incidents, and every caller retries and reports failures the same way:

* **auth** — ``api_key`` is the encoded key Kibana shows, or ``id:api_key`` (split into the pair the
  client wants); otherwise ``username``/``password`` as basic auth.
* **TLS** — for ``https`` URLs: ``verify_certs`` and ``ca_certs`` (checked to exist before
  connecting); no warning when verification is switched off on purpose.
* **retries** — the client itself never retries; :func:`call` retries connection errors, timeouts
  and 429/502/503/504 with exponential backoff (0.5 s doubling, at most 10 s) ``max_retries`` times.
* **errors** — :func:`translate` turns a client exception into :class:`StoreUnavailable`
  (unreachable, timed out, overloaded: writes may be spooled) or :class:`StoreError` naming the
  environment variable to fix (401/403 → ``YUQING_ES_API_KEY`` or ``YUQING_ES_USERNAME`` /
  ``YUQING_ES_PASSWORD``; TLS → ``YUQING_ES_CA_CERTS``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import elastic_transport
from elasticsearch import ApiError, AuthenticationException, AuthorizationException, Elasticsearch

from yuqing.pipeline.core.config import ElasticsearchSettings
from yuqing.pipeline.core.errors import StoreError, StoreUnavailable

log = logging.getLogger("yuqing.es")

T = TypeVar("T")

#: HTTP statuses worth retrying: overloaded or a proxy/node in between is briefly away
TRANSIENT_STATUS = (429, 502, 503, 504)
#: first backoff delay (seconds); doubles each retry, at most :data:`MAX_BACKOFF`
BACKOFF = 0.5
MAX_BACKOFF = 10.0


def client_options(cfg: ElasticsearchSettings) -> dict[str, Any]:
    """Keyword arguments for :class:`elasticsearch.Elasticsearch` from the settings."""
    kwargs: dict[str, Any] = {
        "request_timeout": cfg.request_timeout,
        "max_retries": 0,  # retries with backoff are done by call()
        "retry_on_timeout": False,
    }
    if cfg.api_key:
        key = cfg.api_key.strip()  # the encoded key as Kibana shows it, or "id:api_key"
        kwargs["api_key"] = tuple(key.split(":", 1)) if ":" in key else key
    elif cfg.username:
        kwargs["basic_auth"] = (cfg.username, cfg.password or "")
    if cfg.url.startswith("https"):
        kwargs["verify_certs"] = cfg.verify_certs
        if cfg.ca_certs:
            kwargs["ca_certs"] = cfg.ca_certs
        if not cfg.verify_certs:
            kwargs["ssl_show_warn"] = False
    return kwargs


def make_client(cfg: ElasticsearchSettings) -> Elasticsearch:
    """A client for ``cfg``; a missing CA file or a malformed URL is a :class:`StoreError`."""
    if cfg.ca_certs and not Path(cfg.ca_certs).is_file():
        raise StoreError(f"YUQING_ES_CA_CERTS / store.elasticsearch.ca_certs: no such file "
                         f"{cfg.ca_certs!r} (the CA certificate that signed {cfg.url})")
    try:
        return Elasticsearch(cfg.url, **client_options(cfg))
    except ValueError as exc:
        raise StoreError(f"store.elasticsearch.url / YUQING_ES_URL {cfg.url!r}: {exc}") from exc


def reason(exc: Any) -> str:
    """The root cause Elasticsearch gave for a failed request (type: reason), or the message."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        root = (err.get("root_cause") or [err])[0]
        return f"{root.get('type')}: {root.get('reason')}"
    return str(getattr(exc, "message", exc))


def is_transient(exc: Exception) -> bool:
    """Worth retrying: unreachable, timed out, or 429/502/503/504 (never a TLS failure)."""
    if isinstance(exc, elastic_transport.TlsError):
        return False
    if isinstance(exc, elastic_transport.ConnectionError | elastic_transport.ConnectionTimeout):
        return True
    return isinstance(exc, ApiError) and exc.status_code in TRANSIENT_STATUS


def translate(exc: Exception, what: str, cfg: ElasticsearchSettings, indices: str = "") -> StoreError:
    """A client exception → :class:`StoreError` / :class:`StoreUnavailable` with a useful message.
    ``what`` says what was being done ("bulk-indexing 100 posts"); ``indices`` the index pattern
    the privileges are needed on (for a 403)."""
    where = f"Elasticsearch at {cfg.url}"
    if isinstance(exc, elastic_transport.TlsError):
        return StoreError(f"{where}: TLS handshake failed while {what} ({exc}); set YUQING_ES_CA_CERTS "
                          "to the CA certificate that signed the node's certificate "
                          "(store.elasticsearch.ca_certs)")
    if isinstance(exc, elastic_transport.ConnectionTimeout):
        return StoreUnavailable(f"{where} timed out while {what} (after {cfg.request_timeout:g}s): {exc}")
    if isinstance(exc, elastic_transport.ConnectionError):
        return StoreUnavailable(f"{where} is unreachable while {what}: {exc}")
    if isinstance(exc, AuthenticationException):
        return StoreError(f"{where} rejected the credentials (401) while {what}: check YUQING_ES_API_KEY "
                          "or YUQING_ES_USERNAME / YUQING_ES_PASSWORD")
    if isinstance(exc, AuthorizationException):
        on = f" on {indices}" if indices else ""
        return StoreError(f"{where} refused {what} (403): the user or API key lacks privileges{on} "
                          f"({reason(exc)}); check YUQING_ES_API_KEY or YUQING_ES_USERNAME / YUQING_ES_PASSWORD")
    if isinstance(exc, ApiError) and exc.status_code in TRANSIENT_STATUS:
        return StoreUnavailable(f"{where} is overloaded or unavailable ({exc.status_code}) while "
                                f"{what}: {reason(exc)}")
    if isinstance(exc, ApiError):
        return StoreError(f"{where} failed {what} ({exc.status_code}): {reason(exc)}")
    return StoreError(f"{where}: {what}: {exc}")


def backoff_delay(attempt: int, base: float = BACKOFF) -> float:
    return min(base * 2 ** attempt, MAX_BACKOFF)


def call(cfg: ElasticsearchSettings, what: str, fn: Callable[[], T], *, indices: str = "",
         backoff: float = BACKOFF) -> T:
    """Run one request ``fn()``, retrying transient failures with exponential backoff
    (``cfg.max_retries`` times); other failures and the last transient one are translated."""
    attempt = 0
    while True:
        try:
            return fn()
        except (ApiError, elastic_transport.TransportError) as exc:
            if attempt < cfg.max_retries and is_transient(exc):
                delay = backoff_delay(attempt, backoff)
                log.warning("Elasticsearch %s failed (%s); retry %d/%d in %.1fs", what, exc,
                            attempt + 1, cfg.max_retries, delay)
                time.sleep(delay)
                attempt += 1
                continue
            raise translate(exc, what, cfg, indices) from exc
