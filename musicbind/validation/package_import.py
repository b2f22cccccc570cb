"""Tooling: which bindings package ``validate`` and ``schema`` read, and importing it.

In a project with ``[tool.musicbind]`` that is the project's own package, imported
from the config's ``out`` folder (not from whatever ``sys.path`` finds first under
that name); musicbind's bundled bindings (``musicbind.generated``) only when asked
for by name or when there is no config.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from musicbind.project import ProjectConfig, shown

BUNDLED_PACKAGE = "musicbind.generated"


class PackageImportError(Exception):
    """The bindings package cannot be found or imported."""


def bindings_package(requested: str | None, project: ProjectConfig | None) -> str:
    """The import name to use, importable once this returns.

    ``requested`` is ``--package``: None means the project's package, or the bundled
    bindings without a project.
    """
    name = requested or (project.package if project is not None else BUNDLED_PACKAGE)
    if project is not None and name == project.package:
        import_from_folder(name, project.out)
    elif str(Path.cwd()) not in sys.path:
        # `--package mybind` made in the current folder; appended, so that a folder of the
        # user's named like an installed package (runtime/, say) does not shadow it.
        sys.path.append(str(Path.cwd()))
    return name


def import_from_folder(name: str, folder: Path) -> None:
    """Make ``import name`` give the package in ``folder``, whatever else is on sys.path."""
    init = folder / "__init__.py"
    if not init.is_file():
        raise PackageImportError(
            f"no bindings package in {shown(folder)} ([tool.musicbind] out): "
            "run `musicbind generate`"
        )
    if _found_in(name, folder):
        return
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[str(folder)]
    )
    if spec is None or spec.loader is None:  # pragma: no cover - a file location always has one
        raise PackageImportError(f"cannot import {name!r} from {shown(folder)}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # any failure means the same: the package cannot be used
        for loaded in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[loaded]
        raise PackageImportError(
            f"cannot import the bindings package {name!r} from {shown(folder)}: {exc}"
        ) from None


def _found_in(name: str, folder: Path) -> bool:
    """Whether the ordinary import of ``name`` already finds the package in ``folder``."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    locations = list(spec.submodule_search_locations or []) if spec else []
    target = folder.resolve()
    return any(Path(location).resolve() == target for location in locations)
