"""yuqing 舆情 — public-opinion monitoring for the Chaoyang District Federation of Trade Unions.

The repository root is this package: the folders users asked for (``pipeline/``, ``crawlers/``,
``classifiers/``, ``alerts/``, ``console/``, ``config/``, ``data/``) install as ``yuqing.pipeline``,
``yuqing.crawlers`` … so nothing generic lands at the top of ``site-packages``.

Layers, each importing only from those below it (checked by ``make lint``; see the README)::

    apps           yuqing.pipeline.cli  →  yuqing.console
    orchestration  yuqing.pipeline.scheduler → yuqing.pipeline.briefing → yuqing.pipeline.ingest
    stages         yuqing.crawlers | yuqing.classifiers | yuqing.alerts
                   yuqing.pipeline.store | yuqing.pipeline.dedupe | yuqing.pipeline.normalise
    foundation     yuqing.pipeline.core
"""



def __getattr__(name: str) -> str:
    """``yuqing.__version__``, read from the installed metadata only when asked (importing
    ``importlib.metadata`` costs more than the rest of ``yuqing --help``)."""
    if name != "__version__":
        raise AttributeError(f"module 'yuqing' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("yuqing")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"
