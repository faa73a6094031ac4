"""Where the files shipped with yuqing live, found as package data (``importlib.resources``), so an
installed wheel finds them exactly as a source checkout does.

* :func:`shipped` — a path inside the package: ``shipped("data", "dict", "userdict.txt")``.
* :func:`default_config_dir` — the shipped ``config/`` (the example a union copies and edits).
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path


def package_root() -> Path:
    """The installed ``yuqing`` package directory (the repository root in a checkout)."""
    root = files("yuqing")
    with as_file(root) as path:  # a real directory for wheels and checkouts (not zipped)
        return Path(path)


def shipped(*parts: str) -> Path:
    """A file or directory shipped inside the package, e.g. ``shipped("data", "corpus")``."""
    return package_root().joinpath(*parts)


def shipped_config_dir() -> Path:
    return shipped("config")
