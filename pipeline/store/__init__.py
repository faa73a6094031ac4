"""Post stores behind one interface (:mod:`.base`): SQLite (:mod:`.sqlite`, the embedded default)
and Elasticsearch (:mod:`.elastic`). :func:`open_store` gives the one the settings select."""

from yuqing.pipeline.store.factory import build_store, open_store

__all__ = ["build_store", "open_store"]
