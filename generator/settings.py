"""Pipeline: a project's settings (overlays, display base, package name) for the generator.

The command line reads them from ``[tool.musicbind]`` (musicbind.project);
the defaults are this repository's own layout. Kept free of heavy imports: the fast
freshness check uses it too.

Overlays are layered: musicbind's own (the *bundled* overlay, the repository's
specs/overlay.yaml, shipped as generator/registry/default_overlay.yaml) beneath the
project's. The registry decides what each layer may do (see
:func:`generator.project_files.overlay.layer_overlays`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# In generator/registry/: a symlink to specs/overlay.yaml in the repository, a file in the wheel.
DEFAULT_OVERLAY_NAME = "default_overlay.yaml"
# How the bundled overlay is named in headers, manifests and problems: the same from a
# wheel and from the repository, and never a path a project could also have.
BUNDLED_OVERLAY_LABEL = "musicbind:overlay.yaml"
SPECS_OVERLAY = "overlay.yaml"


def default_overlay_path() -> Path | None:
    """The overlay shipped with musicbind (the repository's specs/overlay.yaml).

    In the repository ``generator/registry/default_overlay.yaml`` is a symlink to it; the
    wheel carries its content under the same name.
    """
    packaged = Path(__file__).resolve().parent / "registry" / DEFAULT_OVERLAY_NAME
    return packaged.resolve() if packaged.is_file() else None


def display_path(path: Path, base: Path) -> str:
    """A stable, relative name for a file: relative to ``base`` when inside it, else its name."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.name


@dataclass(frozen=True, slots=True)
class OverlayFile:
    """One overlay layer: where it is, how it is named, and whether it is musicbind's own."""

    path: Path
    display: str
    bundled: bool


@dataclass(frozen=True, slots=True)
class BuildSettings:
    """What a project chooses beyond its specs folder; the defaults are today's repository layout.

    ``overlay``: the project's overlay (default: ``<specs>/overlay.yaml`` when it exists).
    ``bundled_overlay``: layer musicbind's overlay beneath it (``extend``); False is ``replace``.
    ``base``: display paths are relative to it (default: the specs folder's parent).
    ``package``: import name of the output package (default: the output folder's name).
    """

    overlay: Path | None = None
    bundled_overlay: bool = False
    base: Path | None = None
    package: str | None = None

    def display_base(self, specs: Path) -> Path:
        """The folder display paths are relative to."""
        return self.base if self.base is not None else specs.parent

    def package_name(self, out: Path) -> str:
        """The import name of the package written to ``out``."""
        return self.package or out.name

    def overlay_files(self, specs: Path) -> tuple[OverlayFile, ...]:
        """The overlay layers, bottom first: the bundled one (when extending), the project's."""
        base = self.display_base(specs)
        project = self.overlay
        if project is None and (specs / SPECS_OVERLAY).is_file():
            project = specs / SPECS_OVERLAY
        layers: list[OverlayFile] = []
        bundled = default_overlay_path() if self.bundled_overlay else None
        # The repository's own specs/overlay.yaml is the bundled overlay: one layer, the project's.
        if bundled is not None and (project is None or project.resolve() != bundled):
            layers.append(OverlayFile(bundled, BUNDLED_OVERLAY_LABEL, bundled=True))
        if project is not None:
            layers.append(OverlayFile(project, display_path(project, base), bundled=False))
        return tuple(layers)


def loose_overlay_files(
    overlay: Path | None, base: Path, *, bundled_overlay: bool
) -> tuple[OverlayFile, ...]:
    """The layers for loose documents: ``overlay`` (the bundled one when it is that file)."""
    bundled = default_overlay_path()
    layers: list[OverlayFile] = []
    if bundled is not None and (bundled_overlay or (overlay and overlay.resolve() == bundled)):
        layers.append(OverlayFile(bundled, BUNDLED_OVERLAY_LABEL, bundled=True))
    if overlay is not None and overlay.resolve() != bundled:
        layers.append(OverlayFile(overlay, display_path(overlay, base), bundled=False))
    return tuple(layers)
