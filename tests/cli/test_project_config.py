"""musicbind in a user's own project: ``init``, ``[tool.musicbind]``, and every command reading it.

Each test makes a project in a temporary folder outside the repository (see
project_support.py) and runs the CLI there as a subprocess: the user's models are known,
the user's ranges enforced, the bundled models never mentioned; config mistakes are
one located line each; the bundled overlay serves only what the user's documents name.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from project_support import (
    FAL_SONILO,
    NARROWED,
    NOT_NAMED,
    RIFF,
    make_project,
    musicbind,
    ok,
)

GOOD = json.dumps({"model": RIFF, "input": {"prompt": "drop D chug", "bars": 8}})
TOO_LONG = json.dumps({"model": NARROWED, "input": {"prompt": "synthwave", "duration": 200}})


def _payloads(project: Path) -> Path:
    folder = project / "payloads"
    folder.mkdir(exist_ok=True)
    (folder / "riffs.jsonl").write_text(f"{GOOD}\n{TOO_LONG}\n", encoding="utf-8")
    return folder


def _schema(project: Path, ref: str, *args: str) -> dict[str, Any]:
    done = ok(musicbind("schema", ref, *args, cwd=project))
    schema: dict[str, Any] = json.loads(done.stdout)
    return schema


def _registry(project: Path) -> dict[str, dict[str, Any]]:
    done = musicbind("registry", "--json", cwd=project)
    return {model["ref"]: model for model in json.loads(done.stdout)["models"]}


def test_init_writes_the_table_and_starter_files(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    original = '[project]\nname = "my-app"  # keep this comment'  # no final newline
    (project / "pyproject.toml").write_text(original, encoding="utf-8")
    done = ok(musicbind("init", cwd=project))
    assert done.stdout.splitlines()[:3] == [
        'Added [tool.musicbind] to pyproject.toml: specs = "specs", out = "bindings", '
        'package = "bindings"',
        "Created specs/manifest.yaml",
        "Created specs/overlay.yaml",
    ]
    assert "musicbind generate" in done.stdout and "musicbind validate" in done.stdout
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith(original + "\n\n[tool.musicbind]\n")
    data = tomllib.loads(text)
    assert data["project"] == {"name": "my-app"}
    assert data["tool"]["musicbind"] == {"specs": "specs", "out": "bindings", "package": "bindings"}
    manifest = (project / "specs" / "manifest.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(manifest) == {"documents": []}
    for key in ("path:", "provider:", "kind:", "origin:", "retrieved:"):
        assert f"#     {key}" in manifest or f"#   - {key}" in manifest, key
    assert yaml.safe_load((project / "specs" / "overlay.yaml").read_text()) is None

    not_yet = musicbind("validate", ".", cwd=project)
    assert not_yet.returncode == 2
    assert "no bindings package in bindings ([tool.musicbind] out): run `musicbind generate`" in (
        not_yet.stderr
    )
    # The starter project has no model yet: no package is written, and check fails.
    empty = musicbind("generate", cwd=project)
    assert empty.returncode == 1
    assert "no model to generate: nothing written to bindings" in empty.stderr
    assert "list your provider documents in specs/manifest.yaml" in empty.stderr
    assert not (project / "bindings").exists()
    assert musicbind("check", cwd=project).returncode == 1

    again = musicbind("init", cwd=project)
    assert again.returncode == 1
    assert again.stderr.strip() == (
        "Error: pyproject.toml already has a [tool.musicbind] table; nothing was written."
    )
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == text


def test_init_keeps_existing_files_and_checks_its_options(tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    (kept / "specs").mkdir(parents=True)
    (kept / "specs" / "manifest.yaml").write_text("documents: []  # mine\n")
    done = ok(musicbind("init", cwd=kept))
    assert "Kept the existing specs/manifest.yaml" in done.stdout
    assert "Created specs/overlay.yaml" in done.stdout
    assert (kept / "specs" / "manifest.yaml").read_text() == "documents: []  # mine\n"
    assert (kept / "pyproject.toml").read_text().startswith("[tool.musicbind]\n")

    layout = tmp_path / "layout"
    layout.mkdir()
    ok(musicbind("init", "--specs", "api/specs", "--out", "src/acme_bindings", cwd=layout))
    table = tomllib.loads((layout / "pyproject.toml").read_text())["tool"]["musicbind"]
    assert table == {"specs": "api/specs", "out": "src/acme_bindings", "package": "acme_bindings"}
    assert (layout / "api" / "specs" / "manifest.yaml").is_file()

    bad_name = tmp_path / "bad_name"
    bad_name.mkdir()
    refused = musicbind("init", "--out", "my-bindings", cwd=bad_name)
    assert refused.returncode == 2 and "--package" in refused.stderr
    assert "'my-bindings' is not a Python import name" in refused.stderr
    assert list(bad_name.iterdir()) == []
    ok(musicbind("init", "--out", "my-bindings", "--package", "my_bindings", cwd=bad_name))

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pyproject.toml").write_text("[project\n")
    refused = musicbind("init", cwd=broken)
    assert refused.returncode == 1 and "is not valid TOML" in refused.stderr
    assert (broken / "pyproject.toml").read_text() == "[project\n"
    assert not (broken / "specs").exists()


def test_the_commands_use_the_users_bindings(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    generated = ok(musicbind("generate", cwd=project))
    assert "3 models" in generated.stderr
    assert "warning" not in generated.stderr  # nothing about models the user never named
    for ref in NOT_NAMED:
        assert ref not in generated.stderr
    assert (project / "bindings" / "fal" / "acme_riff_maker.py").is_file()
    assert not (project / "bindings" / "aigateway").exists()
    page = (project / "bindings" / "reference" / "fal" / "acme_riff_maker.md").read_text(
        encoding="utf-8"
    )
    assert "from bindings.fal.client import FalClient" in page
    assert "bindings is up to date with specs" in ok(musicbind("check", cwd=project)).stderr

    payloads = _payloads(project)
    done = musicbind("validate", "payloads", cwd=project)
    assert done.returncode == 1, done.stdout + done.stderr
    (problem,) = done.stdout.splitlines()  # the riff, a model the user added, is valid
    assert problem.startswith("payloads/riffs.jsonl:2:")
    assert "$.input.duration: 200 is above the maximum 120" in problem
    assert "(specs/scenario/sonilo-text-to-music.md:" in problem

    # From a subfolder the config is found by walking up.
    (project / "notes").mkdir()
    nested = musicbind("validate", "../payloads", cwd=project / "notes")
    assert nested.returncode == 1 and "above the maximum 120" in nested.stdout

    # The bundled bindings only when asked for by name: there the riff is unknown and
    # 200 s is within the range musicbind's own document states.
    bundled = musicbind("validate", "payloads", "--package", "musicbind.generated", cwd=project)
    assert bundled.returncode == 1
    assert f'$.model: no model "{RIFF}"' in bundled.stdout
    assert "duration" not in bundled.stdout
    (payloads / "other.json").write_text(json.dumps({"model": NOT_NAMED[0], "input": {}}))
    unknown = musicbind("validate", "payloads/other.json", cwd=project)
    assert unknown.returncode == 1 and f'no model "{NOT_NAMED[0]}"' in unknown.stdout

    assert _schema(project, NARROWED)["properties"]["duration"]["maximum"] == 120
    assert (
        _schema(project, NARROWED, "--specs", "specs")["properties"]["duration"]["maximum"] == 120
    )
    assert _schema(project, RIFF)["properties"]["bars"]["maximum"] == 16
    wide = _schema(project, NARROWED, "--package", "musicbind.generated")
    assert wide["properties"]["duration"]["maximum"] == 600
    missing = musicbind("schema", NOT_NAMED[1], cwd=project)
    assert missing.returncode == 2 and "no model" in missing.stderr

    # Bundled overlay facts serve the bundled models the user's documents do name; the
    # offset + duration rule comes from the user's document's own sentence.
    sonilo = _registry(project)[FAL_SONILO]
    assert sonilo["pricing"]["amount"] == "0.009"
    assert [rule["kind"] for rule in sonilo["rules"]] == ["segment_within_media"]
    assert sonilo["rules"][0]["location"]["path"] == "specs/fal/sonilo-video-to-music.md"

    table = project / "specs" / "scenario" / "sonilo-text-to-music.md"
    table.write_text(table.read_text(encoding="utf-8").replace("| 120 |", "| 100 |"))
    stale = musicbind("check", cwd=project)
    assert stale.returncode == 1 and "duration: maximum 120 -> 100" in stale.stdout
    assert "bindings is not what specs produce: run `musicbind generate`" in stale.stderr


def _git(project: Path, *args: str) -> None:
    identity = ["-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", *identity, *args], cwd=project, check=True, capture_output=True)


def test_another_layout_and_diff_between_revisions(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "proj", "--specs", "api/specs", "--out", "src/acme_bindings", specs="api/specs"
    )
    ok(musicbind("generate", cwd=project))
    assert (project / "src" / "acme_bindings" / "fal" / "acme_riff_maker.py").is_file()
    ok(musicbind("check", cwd=project))
    # acme_bindings is on no sys.path entry: validate imports it from the config's out folder.
    payloads = _payloads(project)
    done = musicbind("validate", payloads / "riffs.jsonl", cwd=project)
    assert done.returncode == 1 and "above the maximum 120" in done.stdout
    assert "(api/specs/scenario/sonilo-text-to-music.md:" in done.stdout

    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "specs")
    page = project / "api" / "specs" / "fal" / "acme-riff-maker.md"
    page.write_text(page.read_text(encoding="utf-8").replace("`1` to `16`", "`1` to `8`"))
    diff = musicbind("diff", "--rev", "HEAD", cwd=project)
    assert diff.returncode == 1, diff.stdout + diff.stderr
    assert diff.stdout.splitlines() == [
        f"BREAKING   {RIFF}  bars: maximum 16 -> 8 (api/specs/fal/acme-riff-maker.md:21)"
    ]
    assert "HEAD:api/specs -> api/specs" in diff.stderr


MISTAKES = [
    (
        'spec = "specs"',
        "unknown key 'spec' (known: specs, out, package, overlay, "
        "bundled-overlay); did you mean 'specs'?",
    ),
    ("out = 3", "out must be a string (a folder, relative to pyproject.toml), got an integer"),
    ('bundled-overlay = "merge"', 'bundled-overlay must be "extend" or "replace", got \'merge\''),
    (
        'package = "my-bindings"',
        "package 'my-bindings' is not a Python import name (letters, digits, _ and dots)",
    ),
]


@pytest.mark.parametrize(("line", "message"), MISTAKES)
def test_config_mistakes_are_located_lines(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "x"\n\n[tool.musicbind]\n{line}\n')
    (tmp_path / "sub").mkdir()
    for args, cwd, shown in (
        (["generate"], tmp_path, "pyproject.toml"),
        (["validate", "."], tmp_path / "sub", "../pyproject.toml"),
    ):
        done = musicbind(*args, cwd=cwd)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert lines == [f"Error: {shown}:5: [tool.musicbind] {message}"], done.stderr


def test_two_mistakes_two_lines(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.musicbind]\nspecs = ["a"]\nouts = "b"\n')
    done = musicbind("check", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "Error: pyproject.toml:2: [tool.musicbind] specs must be a string "
        "(a folder, relative to pyproject.toml), got an array",
        "Error: pyproject.toml:3: [tool.musicbind] unknown key 'outs' (known: specs, out, "
        "package, overlay, bundled-overlay); did you mean 'out'?",
    ]


USER_OVERLAY = """\
providers:
  fal:                                   # the user's own protocol wins for fal
    display_name: fal
    base_url: https://fal.example.com
    auth: key
    statuses: {IN_QUEUE: QUEUED, IN_PROGRESS: RUNNING, COMPLETED: SUCCEEDED}
models:
  "fal:acme/riff-maker":
    pricing: {currency: USD, amount: "0.5", unit: request}
  "fal:acme/riff-makr":                  # a typo: no document describes it
    pricing: {currency: USD, amount: "0.5", unit: request}
"""


def test_the_users_overlay_extends_or_replaces_the_bundled_one(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    (project / "specs" / "overlay.yaml").write_text(USER_OVERLAY, encoding="utf-8")
    done = ok(musicbind("generate", cwd=project))
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    assert warnings == [
        "specs/overlay.yaml:11: warning: fal:acme/riff-makr: overlay names a model no "
        "document describes"
    ]
    fal = (project / "bindings" / "fal" / "__init__.py").read_text(encoding="utf-8")
    assert 'base_url="https://fal.example.com"' in fal
    scenario = (project / "bindings" / "scenario" / "__init__.py").read_text(encoding="utf-8")
    assert "https://api.cloud.scenario.com" in scenario  # the bundled protocol, extended
    models = _registry(project)
    assert models[RIFF]["pricing"]["amount"] == "0.5"
    assert models[FAL_SONILO]["pricing"]["amount"] == "0.009"  # the bundled overlay's price
    assert models[FAL_SONILO]["rules"]  # and the rule its document's sentence states
    ok(musicbind("check", cwd=project))

    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'bundled-overlay = "replace"\n')
    stale = musicbind("check", cwd=project)
    assert stale.returncode == 1  # the bundled overlay is an input no more
    replaced = musicbind("generate", cwd=project)
    assert replaced.returncode == 1
    assert (
        "provider 'scenario' has no protocol in the overlay (statuses, auth, base_url)"
        in replaced.stderr
    )
    assert "provider 'fal'" not in replaced.stderr
    models = _registry(project)
    assert NARROWED not in models
    assert models[FAL_SONILO]["pricing"] is None  # the bundled price is gone...
    # ...while the rule its document's sentence states does not depend on any overlay.
    assert [r["name"] for r in models[FAL_SONILO]["rules"]] == [
        "segment_within_media:video_url,start_offset,duration"
    ]
    assert models[RIFF]["pricing"]["amount"] == "0.5"
