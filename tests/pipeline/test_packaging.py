"""The wheel ships what the installed product reads: every package folder is listed in
pyproject.toml, and every data file inside a package (templates, static files, migrations'
templates) or at the root (config, dictionaries, corpus) matches a package-data pattern.
(``make wheel-smoke`` builds and runs the wheel itself.)"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AREAS = ("pipeline", "classifiers", "alerts", "crawlers", "console")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def package_dirs() -> set[str]:
    found = {"yuqing"}
    for area in AREAS:
        for init in (ROOT / area).rglob("__init__.py"):
            if "__pycache__" not in init.parts:
                found.add("yuqing." + ".".join(init.parent.relative_to(ROOT).parts))
    return found


def test_every_package_folder_is_in_the_wheel():
    assert SETUPTOOLS["package-dir"] == {"yuqing": "."}
    assert set(SETUPTOOLS["packages"]) == package_dirs()


def _shipped(package: str, rel: str) -> bool:
    return any(fnmatch.fnmatch(rel, pattern) for pattern in SETUPTOOLS["package-data"].get(package, []))


def test_every_data_file_the_code_reads_is_package_data():
    missing = []
    for pkg in package_dirs() - {"yuqing"}:
        folder = ROOT.joinpath(*pkg.split(".")[1:])
        for path in folder.iterdir():
            if path.is_dir() and not (path / "__init__.py").exists() and path.name != "__pycache__":
                for f in path.rglob("*"):
                    if f.is_file() and not _shipped(pkg, str(f.relative_to(folder))):
                        missing.append(str(f.relative_to(ROOT)))
    for sub in ("config", "data/dict", "data/corpus", "data/heldout"):
        for f in (ROOT / sub).rglob("*"):
            if f.is_file() and f.suffix not in (".md",) and not _shipped("yuqing", str(f.relative_to(ROOT))):
                missing.append(str(f.relative_to(ROOT)))
    assert not missing, f"not shipped in the wheel: {missing}"
