"""Broken inputs as a user breaks them, through the real CLI: every mistake located, named.

A copy of specs/ and this repository's ``[tool.musicbind]`` table in a temporary folder,
one document broken per test: invalid JSON at its line and column with what was expected
there, a fal page whose Input Schema heading was renamed, typos in the overlay and the
manifest (an error at the key, with a did-you-mean, never silently ignored), duplicate
keys and NaN in a document.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLE = """\
[tool.musicbind]
specs = "specs"
out = "generated"
package = "musicbind.generated"
bundled-overlay = "replace"
"""
FAL_OPENAPI = "specs/fal/sonilo-v1.1-video-to-music.openapi.json"
FAL_PAGE = "specs/fal/sonilo-v1.1-video-to-music.md"
GATEWAY_OPENAPI = "specs/aigateway/openapi.json"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    shutil.copytree(ROOT / "specs", folder / "specs")
    (folder / "pyproject.toml").write_text(TABLE, encoding="utf-8")
    return folder


def generate(project: Path) -> subprocess.CompletedProcess[str]:
    """``musicbind generate`` in the project, asserting it failed cleanly (exit 1)."""
    env = {**os.environ, "MUSICBIND_CACHE_DIR": str(project.parent / "cache")}
    done = subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", "generate"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done


def edit(project: Path, relative: str, old: str, new: str) -> str:
    """Replace the first ``old`` in a spec file; the file's new text."""
    file = project / relative
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    changed = text.replace(old, new, 1)
    file.write_text(changed, encoding="utf-8")
    return changed


def position(text: str, marker: str, shift: int = 0) -> str:
    """``line:column`` (1-based) of ``marker`` in ``text``, moved ``shift`` characters on."""
    offset = text.index(marker) + shift
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{line}:{column}"


def test_invalid_json_is_reported_as_such_at_its_line_and_column(project: Path) -> None:
    # A stray comma left behind after deleting the last item of the QueueStatus schema.
    before = '"required":["status","request_id"]}'
    text = edit(project, FAL_OPENAPI, before, '"required":["status","request_id"],}')
    where = position(text, '"request_id"],}', len('"request_id"],'))
    done = generate(project)
    assert (
        f"{FAL_OPENAPI}:{where}: error: invalid JSON: expected a key in double quotes after ',' "
        "(JSON allows no trailing comma)" in done.stderr
    ), done.stderr
    assert "not a document musicbind can read" not in done.stderr


def test_invalid_json_in_a_multi_line_document(project: Path) -> None:
    text = edit(project, GATEWAY_OPENAPI, '"version": "1.0.0",', '"version": "1.0.0"')
    where = position(text, '"version": "1.0.0"\n', len('"version": "1.0.0"\n    '))
    assert where == "6:5"  # the comma missing at the end of line 5 is seen at the next key
    done = generate(project)
    expected = f"{GATEWAY_OPENAPI}:{where}: error: invalid JSON: expected ',' or '}}' after"
    assert expected in done.stderr, done.stderr


def test_a_fal_page_without_its_input_schema_heading_names_the_section(project: Path) -> None:
    edit(project, FAL_PAGE, "### Input Schema", "### Inputs")
    done = generate(project)
    line = next(line for line in done.stderr.splitlines() if line.startswith(f"{FAL_PAGE}:"))
    assert line.startswith(f"{FAL_PAGE}:1: error: the page reads as a fal model page"), line
    assert "no '### Input Schema' section" in line
    assert "headings found: '# V1.1', '## Overview'" in line and "'### Inputs'" in line
    assert line.endswith("did you mean 'Inputs'?")
    assert "not a document musicbind can read" not in done.stderr


@pytest.mark.parametrize(
    ("key", "typo", "section"),
    [
        ("pricing:", "prcing:", 'models["fal:sonilo/v1.1/video-to-music"]'),  # no rules: there now
        ("statuses:", "statusses:", "providers.scenario"),
        ("seconds_from:", "seconds_form:", 'models["fal:sonilo/v1.1/video-to-music"].pricing'),
    ],
)
def test_an_overlay_typo_is_an_error_at_its_line(
    project: Path, key: str, typo: str, section: str
) -> None:
    text = edit(project, "specs/overlay.yaml", f"    {key}", f"    {typo}")
    where = position(text, f"    {typo}", len("    "))
    done = generate(project)
    meant = key.rstrip(":")
    expected = (
        f"specs/overlay.yaml:{where}: error: {section}: unknown key {typo.rstrip(':')!r}; "
        f"did you mean {meant!r}?"
    ).replace("'", '"')
    assert expected in done.stderr, done.stderr


def test_a_manifest_typo_is_an_error_at_its_line(project: Path) -> None:
    text = edit(
        project, "specs/manifest.yaml", "    retrieved: 2026-11-20", "    retreived: 2026-11-20"
    )
    where = position(text, "retreived:")
    done = generate(project)
    expected = (
        f'specs/manifest.yaml:{where}: error: documents[2]: unknown key "retreived"; '
        'did you mean "retrieved"?'
    )
    assert expected in done.stderr, done.stderr


def test_a_misspelled_document_kind_lists_the_kinds(project: Path) -> None:
    text = edit(project, "specs/manifest.yaml", "kind: fal-page", "kind: fal_page")
    where = position(text, "fal_page")
    done = generate(project)
    assert re.search(
        rf"specs/manifest.yaml:{where}: error: documents\[4\]\.kind: expected one of "
        r"'openapi', 'scenario-table', 'fal-page', 'gateway-page' or 'fal-models-api', "
        r"got \"fal_page\"",
        done.stderr,
    ), done.stderr
    assert "not listed in manifest.yaml" not in done.stderr  # the entry is there, misspelt


def test_duplicate_keys_and_nan_in_a_document_are_located(project: Path) -> None:
    text = edit(
        project,
        GATEWAY_OPENAPI,
        '"version": "1.0.0",',
        '"version": "1.0.0", "version": "1.0.1", "x-rate": NaN,',
    )
    duplicate = position(text, '"version": "1.0.1"')
    first = position(text, '"version": "1.0.0"')
    nan = position(text, "NaN")
    done = generate(project)
    first_line, first_column = first.split(":")
    assert (
        f'{GATEWAY_OPENAPI}:{duplicate}: error: /info/version: duplicate key "version" '
        f"(first at line {first_line}, column {first_column})" in done.stderr
    ), done.stderr
    assert f"{GATEWAY_OPENAPI}:{nan}: error: /info/x-rate: NaN is not a JSON number" in done.stderr


def test_an_overlay_pasted_twice_is_named_as_the_error_to_fix_first(project: Path) -> None:
    """A second top-level ``providers:`` breaks every model after it; the summary names the
    overlay's line, not the first model that failed because of it."""
    overlay = project / "specs" / "overlay.yaml"
    text = overlay.read_text(encoding="utf-8") + "providers:\n  tonewell: {}\n"
    overlay.write_text(text, encoding="utf-8")
    done = generate(project)
    where = position(text, "providers:\n  tonewell")
    summary = [line for line in done.stderr.splitlines() if "(first: " in line]
    assert len(summary) == 1, done.stderr
    assert re.fullmatch(
        rf"\d+ errors \(first: specs/overlay\.yaml:{where}\): fix them and run "
        r"`musicbind generate` again",
        summary[0],
    ), summary
    assert f'specs/overlay.yaml:{where}: error: /providers: duplicate key "providers"' in (
        done.stderr
    )
