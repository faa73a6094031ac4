"""Errors of the stores every layer may catch (the store interface, Elasticsearch for incidents)."""


class StoreError(Exception):
    """The store refused or failed an operation; the message says what and where."""


class StoreUnavailable(StoreError):
    """The store cannot be reached right now (network, node down). Writes may be spooled."""
