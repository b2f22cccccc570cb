"""Acceptance 2: ``diff`` on pairs of spec versions, for each change kind and each document kind.

Each case is a small document of one kind (the golden cases) and an edit of it; the
registries of both versions are diffed and the change must be found with its class.
Combinations a document kind cannot state are listed in ``NOT_STATED`` with the reason.
Then the command line: spec folders, registry JSON, ``--rev`` in a git repository,
the three output formats and the exit statuses.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_support import ROOT, assert_no_traceback, json_output, run_cli

from musicbind.generator.diff.registries import Severity, diff_registries
from musicbind.generator.ingest import build_from_paths
from musicbind.generator.registry.model import Registry
from musicbind.generator.snapshot.serialize import registry_to_json

CASES = ROOT / "tests" / "golden" / "cases"
B, C, N = Severity.BREAKING, Severity.COMPATIBLE, Severity.NOTABLE

# The document kinds: (case folder, provider, file the edits apply to).
KINDS = {
    "openapi": ("fal_openapi", "fal", "tts.json"),
    "scenario-table": ("scenario_table", "scenario", "page.md"),
    "fal-page": ("fal_page", "fal", "page.md"),
    "gateway-page": ("gateway", "aigateway", "sonauto.md"),
}
REMOVE = "remove the document"
ADD = "add the document"


def _json_edit(edit: Callable[[dict[str, Any]], None]) -> Callable[[str], str]:
    def apply(text: str) -> str:
        data = json.loads(text)
        edit(data["components"]["schemas"]["ChimeTtsInput"])
        return json.dumps(data, indent=1)

    return apply


def _replace(old: str, new: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return apply


def _drop(schema: dict[str, Any]) -> None:
    del schema["properties"]["seed"]
    schema["x-fal-order-properties"].remove("seed")


def _add(required: bool) -> Callable[[dict[str, Any]], None]:
    def edit(schema: dict[str, Any]) -> None:
        schema["properties"]["lang"] = {"type": "string", "description": "Language."}
        schema["x-fal-order-properties"].append("lang")
        if required:
            schema["required"].append("lang")

    return edit


def _set(*path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(schema: dict[str, Any]) -> None:
        node = schema["properties"]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def _rename(schema: dict[str, Any]) -> None:
    schema["properties"]["Channels"] = schema["properties"].pop("channels")
    order = schema["x-fal-order-properties"]
    order[order.index("channels")] = "Channels"


_SCENARIO_ROW = "| `mood` | Mood | string | – | – | – | – | {} |\n"
_FAL_BULLET = "- **`mood`** (`string`, _{}_):\n  The mood.\n\n"
_GATEWAY_SEED = '  "seed": {},\n  "format": "mp3"'

# kind -> change kind -> (edit of the document, or REMOVE/ADD; expected severity, subject)
EDITS: dict[str, dict[str, tuple[Any, Severity, str]]] = {
    "openapi": {
        "model-removed": (REMOVE, B, ""),
        "field-removed": (_json_edit(_drop), B, "seed"),
        "required-field-added": (_json_edit(_add(True)), B, "lang"),
        "range-narrowed": (_json_edit(_set("text", "maxLength", value=100)), B, "text"),
        "allowed-value-removed": (
            _json_edit(_set("voice", "enum", value=["ava", "bo"])),
            B,
            "voice",
        ),
        "type-changed": (_json_edit(_set("seed", "type", value="string")), B, "seed"),
        "wire-name-changed": (_json_edit(_rename), B, "Channels"),
        "model-added": (ADD, C, ""),
        "optional-field-added": (_json_edit(_add(False)), C, "lang"),
        "range-widened": (_json_edit(_set("text", "maxLength", value=1000)), C, "text"),
        "allowed-value-added": (
            _json_edit(_set("voice", "enum", value=["ava", "bo", "class", "dee"])),
            C,
            "voice",
        ),
        "default-changed": (_json_edit(_set("voice", "default", value="bo")), N, "voice"),
        "description-changed": (_json_edit(_set("text", "description", value="Words.")), N, "text"),
    },
    "scenario-table": {
        "model-removed": (REMOVE, B, ""),
        "field-removed": (
            _replace("| `gain` | Gain | number | 0 | -12 | 12 | – | Optional gain in dB. |\n", ""),
            B,
            "gain",
        ),
        "required-field-added": (
            lambda t: t + _SCENARIO_ROW.format("Required. The mood."),
            B,
            "mood",
        ),
        "range-narrowed": (_replace("| 4 | 1 | 32 |", "| 4 | 1 | 16 |"), B, "bars"),
        "allowed-value-removed": (_replace("C, G, D, A", "C, G, D"), B, "key_signature"),
        "type-changed": (_replace("| Prompt | string |", "| Prompt | number |"), B, "prompt"),
        "wire-name-changed": (_replace("`key\\_signature`", "`keySignature`"), B, "keySignature"),
        "model-added": (ADD, C, ""),
        "optional-field-added": (
            lambda t: t + _SCENARIO_ROW.format("Optional mood."),
            C,
            "mood",
        ),
        "range-widened": (_replace("| 4 | 1 | 32 |", "| 4 | 1 | 64 |"), C, "bars"),
        "allowed-value-added": (_replace("C, G, D, A", "C, G, D, A, E"), C, "key_signature"),
        "default-changed": (_replace("| 4 | 1 | 32 |", "| 8 | 1 | 32 |"), N, "bars"),
        "description-changed": (
            _replace("Optional gain in dB.", "Optional gain in decibels."),
            N,
            "gain",
        ),
    },
    "fal-page": {
        "model-removed": (REMOVE, B, ""),
        "field-removed": (
            _replace(
                "- **`bpm`** (`integer`, _optional_):\n  Tempo in beats per minute.\n"
                "  - Default: `120`\n  - Range: `60` to `200`\n\n",
                "",
            ),
            B,
            "bpm",
        ),
        "required-field-added": (
            _replace("- **`bpm`**", _FAL_BULLET.format("required") + "- **`bpm`**"),
            B,
            "mood",
        ),
        "range-narrowed": (_replace("`60` to `200`", "`60` to `180`"), B, "bpm"),
        "allowed-value-removed": (_replace('`"1bar"`, `"2bar"`', '`"1bar"`'), B, "length"),
        "type-changed": (_replace("(`integer`, _optional_)", "(`float`, _optional_)"), B, "bpm"),
        "wire-name-changed": (_replace("**`bpm`**", "**`Bpm`**"), B, "Bpm"),
        "model-added": (ADD, C, ""),
        "optional-field-added": (
            _replace("- **`bpm`**", _FAL_BULLET.format("optional") + "- **`bpm`**"),
            C,
            "mood",
        ),
        "range-widened": (_replace("`60` to `200`", "`40` to `200`"), C, "bpm"),
        "allowed-value-added": (
            _replace('`"1bar"`, `"2bar"`', '`"1bar"`, `"2bar"`, `"4bar"`'),
            C,
            "length",
        ),
        "default-changed": (_replace("Default: `120`", "Default: `100`"), N, "bpm"),
        "price-changed": (_replace("**$0.002**", "**$0.003**"), N, ""),
        "description-changed": (
            _replace("Tempo in beats per minute.", "Tempo (BPM)."),
            N,
            "bpm",
        ),
    },
    "gateway-page": {
        "model-removed": (REMOVE, B, ""),
        "field-removed": (
            _replace(
                '  "duration": 30,         // seconds\n  "format": "mp3"         // mp3 | wav',
                '  "duration": 30          // seconds',
            ),
            B,
            "format",
        ),
        # A lone "// mp3" is a comment, not a list: the older page lists three values.
        "allowed-value-removed": (
            (_replace("// mp3 | wav", "// mp3 | wav | flac"), None),
            B,
            "format",
        ),
        "wire-name-changed": (_replace('"format": "mp3"', '"Format": "mp3"'), B, "Format"),
        "model-added": (ADD, C, ""),
        "optional-field-added": (
            _replace('  "format": "mp3"', _GATEWAY_SEED.format(42)),
            C,
            "seed",
        ),
        "allowed-value-added": (_replace("// mp3 | wav", "// mp3 | wav | flac"), C, "format"),
        "price-changed": (_replace("| Per second | $0.0013 |", "| Per second | $0.0020 |"), N, ""),
        "description-changed": (
            _replace("Suited to background music", "Made for background music"),
            N,
            "",
        ),
    },
}
# The gateway page's type change needs a field the page alone states, in both versions.
TYPE_PAIRS = {
    "gateway-page": (_GATEWAY_SEED.format(42), _GATEWAY_SEED.format('"42"'), "seed"),
}
NOT_STATED = {
    ("openapi", "price-changed"): "an OpenAPI document states no price",
    ("scenario-table", "price-changed"): "Scenario quotes prices through a dry run, not the table",
    (
        "gateway-page",
        "required-field-added",
    ): "page fields are optional; the OpenAPI says which are required",
    ("gateway-page", "range-narrowed"): "a gateway page states no ranges",
    ("gateway-page", "range-widened"): "a gateway page states no ranges",
    ("gateway-page", "default-changed"): "a gateway page states no defaults",
}
CHANGE_KINDS = sorted({kind for edits in EDITS.values() for kind in edits} | {"price-changed"})


@dataclass(frozen=True)
class Pair:
    kind: str
    change: str


def _overlay(folder: Path) -> Path:
    """The shipped overlay's provider protocols, without its per-model rules and prices."""
    data = yaml.safe_load((ROOT / "specs" / "overlay.yaml").read_text())
    path = folder / "overlay.yaml"
    path.write_text(yaml.safe_dump({"providers": data["providers"]}))
    return path


def _registry(folder: Path, provider: str, overlay: Path) -> Registry:
    documents = sorted(p for p in folder.iterdir() if p.name != "case.yaml")  # golden settings
    built = build_from_paths(documents, overlay, folder, provider)
    errors = [p for p in built.registry.problems if p.level.value == "error"]
    assert not errors, errors
    return built.registry


def _versions(kind: str, old_edit: Any, new_edit: Any, tmp: Path) -> tuple[Registry, Registry]:
    case, provider, name = KINDS[kind]
    overlay = _overlay(tmp)
    registries = []
    for label, edit in (("old", old_edit), ("new", new_edit)):
        folder = tmp / label
        shutil.copytree(CASES / case, folder)
        target = folder / name
        if edit == REMOVE:
            target.unlink()
        elif edit is not None and edit != ADD:
            target.write_text(edit(target.read_text(encoding="utf-8")), encoding="utf-8")
        registries.append(_registry(folder, provider, overlay))
    return registries[0], registries[1]


def _pairs() -> list[Pair]:
    """Every change kind a document kind can state (the others are in ``NOT_STATED``)."""
    return [
        Pair(kind, change)
        for kind in KINDS
        for change in CHANGE_KINDS
        if (kind, change) not in NOT_STATED
    ]


def test_a_change_a_document_kind_cannot_state_has_no_edit_of_its_own() -> None:
    for kind, change in NOT_STATED:
        assert change not in EDITS[kind], (kind, change)


@pytest.mark.parametrize("pair", _pairs(), ids=lambda p: f"{p.kind}-{p.change}")
def test_each_change_kind_for_each_document_kind(pair: Pair, tmp_path: Path) -> None:
    if pair.change == "type-changed" and pair.kind in TYPE_PAIRS:
        before, after, subject = TYPE_PAIRS[pair.kind]
        old, new = _versions(
            pair.kind,
            _replace('  "format": "mp3"', before),
            _replace('  "format": "mp3"', after),
            tmp_path,
        )
        severity = B
    else:
        edit, severity, subject = EDITS[pair.kind][pair.change]
        if edit == ADD:
            old, new = _versions(pair.kind, REMOVE, None, tmp_path)
        elif isinstance(edit, tuple):
            old, new = _versions(pair.kind, edit[0], edit[1], tmp_path)
        else:
            old, new = _versions(pair.kind, None, edit, tmp_path)
    changes = diff_registries(old, new)
    shown = "\n".join(f"{c.severity} {c.kind} {c.subject!r} {c.message}" for c in changes)
    match = [c for c in changes if c.kind == pair.change and c.subject == subject]
    assert match, f"no {pair.change} on {subject!r}:\n{shown}"
    assert all(c.severity is severity for c in match), shown
    assert diff_registries(old, old) == []


def test_every_change_kind_is_covered_for_some_document_kind() -> None:
    expected = {
        "model-removed",
        "field-removed",
        "required-field-added",
        "range-narrowed",
        "allowed-value-removed",
        "type-changed",
        "wire-name-changed",
        "model-added",
        "optional-field-added",
        "range-widened",
        "allowed-value-added",
        "default-changed",
        "price-changed",
        "description-changed",
    }
    assert set(CHANGE_KINDS) == expected
    for change in expected:
        kinds = [
            k for k in KINDS if change in EDITS[k] or (change == "type-changed" and k in TYPE_PAIRS)
        ]
        assert len(kinds) + sum((k, change) in NOT_STATED for k in KINDS) == len(KINDS), change


def test_rules_outputs_and_null_are_classified() -> None:
    """Registry-level cases no small document shows: rules, outputs, nullability."""
    from dataclasses import replace

    from cli_support import snapshot

    registry = snapshot()
    fal = next(m for m in registry.models if m.ref == "fal:sonilo/v1.1/video-to-music")
    no_rules = replace(
        registry, models=tuple(replace(m, rules=()) if m is fal else m for m in registry.models)
    )
    assert [c.kind for c in diff_registries(no_rules, registry)] == ["rule-added"]
    assert [c.severity for c in diff_registries(registry, no_rules)] == [C]
    assert fal.outputs is not None
    fewer = replace(fal, outputs=fal.outputs[1:])
    [removed] = diff_registries(
        replace(registry, models=(fewer,)), replace(registry, models=(fal,))
    )
    assert (removed.kind, removed.severity) == ("field-added", C)
    [gone] = diff_registries(replace(registry, models=(fal,)), replace(registry, models=(fewer,)))
    assert (gone.kind, gone.severity, gone.subject) == ("field-removed", B, "output audio")
    prompt = fal.inputs[2]
    strict = replace(
        fal,
        inputs=(
            *fal.inputs[:2],
            replace(prompt, type=replace(prompt.type, nullable=False)),
            *fal.inputs[3:],
        ),
    )
    [widened] = diff_registries(
        replace(registry, models=(strict,)), replace(registry, models=(fal,))
    )
    assert (widened.kind, widened.severity) == ("null-allowed", C)


def test_rename_hints_pair_one_removed_and_one_added_field_of_the_same_kind() -> None:
    """A removed and an added field with the same type and constraints, each the other's
    only match, carry "possibly renamed" hints; a pair that is ambiguous carries none."""
    from dataclasses import replace

    from cli_support import snapshot

    registry = snapshot()
    fal = next(m for m in registry.models if m.ref == "fal:sonilo/v1.1/video-to-music")
    field = next(f for f in fal.inputs if f.wire_name == "num_samples")
    renamed = replace(field, wire_name="sample_count", python_name="sample_count")

    def with_inputs(*inputs: object) -> Registry:
        return replace(registry, models=(replace(fal, inputs=tuple(inputs)),))

    others = [f for f in fal.inputs if f is not field]
    changes = diff_registries(with_inputs(*fal.inputs), with_inputs(*others, renamed))
    hints = {(c.kind, c.subject): c.hint for c in changes}
    assert hints == {
        ("field-removed", "num_samples"): "possibly renamed to sample_count",
        ("optional-field-added", "sample_count"): "possibly renamed from num_samples",
    }
    twin = replace(field, wire_name="takes", python_name="takes")
    ambiguous = diff_registries(with_inputs(*fal.inputs), with_inputs(*others, renamed, twin))
    assert [c.hint for c in ambiguous] == [None, None, None]
    narrower = replace(renamed, maximum=2)
    unlike = diff_registries(with_inputs(*fal.inputs), with_inputs(*others, narrower))
    assert [c.hint for c in unlike] == [None, None]


# -- the command line -------------------------------------------------------------------


def _spec_folders(tmp: Path) -> tuple[Path, Path]:
    old, new = tmp / "old" / "specs", tmp / "new" / "specs"
    shutil.copytree(ROOT / "specs", old)
    shutil.copytree(ROOT / "specs", new)
    page = new / "scenario" / "sonilo-parameters.md"
    page.write_text(
        page.read_text().replace("| `90`    | 1   | 600 |", "| `60`    | 1   | 300 |"),
        encoding="utf-8",
    )
    return old, new


def test_cli_on_spec_folders_in_every_format(tmp_path: Path) -> None:
    old, new = _spec_folders(tmp_path)
    text = run_cli("diff", str(old), str(new))
    assert_no_traceback(text)
    assert text.returncode == 1
    assert text.stdout.splitlines() == [
        "BREAKING   scenario:model_sonilo-v1-1-text-to-music  duration: maximum 600 -> 300 "
        "(specs/scenario/sonilo-parameters.md:27)",
        "NOTABLE    scenario:model_sonilo-v1-1-text-to-music  duration: default 90 -> 60 "
        "(specs/scenario/sonilo-parameters.md:27)",
    ]
    assert "1 breaking, 0 compatible, 1 notable" in text.stderr
    allowed = run_cli("diff", str(old), str(new), "--allow-breaking", "--format", "markdown")
    assert allowed.returncode == 0
    assert "### Breaking changes" in allowed.stdout
    assert (
        "| `scenario:model_sonilo-v1-1-text-to-music` | duration: maximum 600 -> 300 |"
        in allowed.stdout
    )
    data = json_output(run_cli("diff", str(old), str(new), "--format", "json"))
    assert data["counts"] == {"breaking": 1, "compatible": 0, "notable": 1}
    assert data["changes"][0] == {
        "severity": "breaking",
        "kind": "range-narrowed",
        "ref": "scenario:model_sonilo-v1-1-text-to-music",
        "subject": "duration",
        "message": "duration: maximum 600 -> 300",
        "old": 600,
        "new": 300,
        "location": "specs/scenario/sonilo-parameters.md:27",
        "hint": None,
    }
    reverse = run_cli("diff", str(new), str(old))
    assert reverse.returncode == 0 and "COMPATIBLE" in reverse.stdout


def test_cli_on_registry_json_and_generated_packages(tmp_path: Path) -> None:
    old, new = _spec_folders(tmp_path)
    for label, folder in (("old", old), ("new", new)):
        done = run_cli("registry", "--json", "--specs", str(folder))
        assert done.returncode == 0, done.stderr
        (tmp_path / f"{label}.json").write_text(done.stdout)
    done = run_cli("diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"))
    assert done.returncode == 1 and "maximum 600 -> 300" in done.stdout
    same = run_cli("diff", str(ROOT / "generated"), str(ROOT / "specs"))
    assert same.returncode == 0, same.stdout + same.stderr
    assert same.stdout == ""


def test_cli_on_git_revisions(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "specs", repo / "specs")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    git(
        "-c",
        "user.email=t@example.com",
        "-c",
        "user.name=t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "0",
    )
    git("add", "-A")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "one")
    page = repo / "specs" / "fal" / "sonilo-v1.1-video-to-music.openapi.json"
    page.write_text(page.read_text().replace('"maximum":3', '"maximum":2'))
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-am", "two")
    done = run_cli("diff", "--rev", "HEAD~1..HEAD", cwd=repo)
    assert_no_traceback(done)
    assert done.returncode == 1, done.stderr
    assert "fal:sonilo/v1.1/video-to-music  num_samples: maximum 3 -> 2" in done.stdout
    assert run_cli("diff", "--rev", "HEAD", cwd=repo).returncode == 0  # HEAD vs working tree
    page.write_text(page.read_text().replace('"maximum":2', '"maximum":5'))
    widened = run_cli("diff", "--rev", "HEAD", "--format", "json", cwd=repo)
    assert json_output(widened)["changes"][0]["kind"] == "range-widened"
    for bad in (
        ["--rev", "nosuchrev..HEAD"],
        ["--rev", "HEAD~1..HEAD", "a", "b"],
        ["--rev", ".."],
        ["only-one"],
    ):
        wrong = run_cli("diff", *bad, cwd=repo)
        assert_no_traceback(wrong)
        assert wrong.returncode == 2, (bad, wrong.stderr)
    assert run_cli("diff", "--rev", "HEAD~2..HEAD", cwd=repo).returncode == 2  # no specs then


def test_cli_refuses_unreadable_sources(tmp_path: Path) -> None:
    (tmp_path / "not.json").write_text("{}")
    (tmp_path / "broken.json").write_text("{")
    for args in (
        [str(tmp_path / "not.json"), str(ROOT / "specs")],
        [str(tmp_path / "broken.json"), str(ROOT / "specs")],
        [str(tmp_path), str(ROOT / "specs")],
        [str(tmp_path / "nothing"), str(ROOT / "specs")],
    ):
        done = run_cli("diff", *args)
        assert_no_traceback(done)
        assert done.returncode == 2, done.stderr


def test_registry_json_round_trips() -> None:
    from cli_support import snapshot

    from musicbind.generator.snapshot.deserialize import read_registry

    registry = snapshot()
    text = registry_to_json(registry)
    again, problems = read_registry(text, "x.json")
    assert problems == [] and again == registry
    for broken, message in (
        ("[]", "expected an object"),
        ('{"format": 99, "models": [], "providers": []}', "format 99"),
        (text.replace('"kind": "number"', '"kind": "decimal"', 1), "unknown type"),
        (text.replace('"required": true', '"required": "yes"', 1), "expected true or false"),
        ("{", "not JSON"),
    ):
        registry_or_none, found = read_registry(broken, "x.json")
        assert registry_or_none is None and message in found[0].message, found
