"""Ingest: a file or a crawl's batches through the stages into the store.

    run.py     Ingestor: read → validate → stages → store, with the report, rejects and spool
    stages.py  the stage protocol and the configured list (normalise → dedupe → classify → link)
    spool.py   batches kept on disk while the store is unreachable, replayed later
"""

from yuqing.pipeline.ingest.run import Ingestor, IngestReport

__all__ = ["Ingestor", "IngestReport"]
