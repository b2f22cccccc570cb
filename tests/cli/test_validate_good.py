"""Acceptance 1, the other half: good payloads pass, every example in the spec documents included.

Also: local media files are probed for their length (mutagen) so cross-field rules apply,
``--media-duration`` takes wire or python names, and the output formats agree.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import yaml
from cli_support import ROOT, assert_no_traceback, json_output, models, run_cli

from musicbind.generator.emit.docs import example_input
from musicbind.generator.load.records import TypeKind
from musicbind.generator.registry.model import Model

# curl bodies in the model pages: `-d '{...}'` / `--data '{...}'` (the gateway's carries the
# model selector, which the envelope's "model" replaces).
_CURL_BODY = re.compile(r"(?:-d|--data) '(\{.*?\})'", re.DOTALL)
_PAGE_MODELS = {
    "specs/aigateway/sonauto-v2-text-to-music.md": "aigateway:sonauto/v2/text-to-music",
    "specs/fal/sonilo-v1.1-video-to-music.md": "fal:sonilo/v1.1/video-to-music",
}


def _spec_examples() -> list[dict[str, Any]]:
    """Every input example the spec documents give, as payload envelopes."""
    payloads: list[dict[str, Any]] = []
    for model in models():
        for example in model.input_examples:
            payloads.append({"model": model.ref, "input": example})
        base = example_input(model)
        for field in model.inputs:
            for value in field.examples:
                payloads.append({"model": model.ref, "input": {**base, field.wire_name: value}})
    for page, ref in _PAGE_MODELS.items():
        for body in _CURL_BODY.findall((ROOT / page).read_text(encoding="utf-8")):
            data = json.loads(body)
            data.pop("model", None)
            payloads.append({"model": ref, "input": data})
    return payloads


def _boundaries(model: Model) -> list[dict[str, Any]]:
    """Inputs at every documented bound, with every allowed value, with every default."""
    base = example_input(model)
    inputs: list[dict[str, Any]] = []
    for f in model.inputs:
        values: list[Any] = [v for v in (f.minimum, f.maximum) if v is not None]
        values += list(f.allowed or ())
        if f.has_default and f.default is not None:
            values.append(f.default)
        if f.type.kind is TypeKind.NUMBER and f.minimum is not None:
            values.append(float(f.minimum) + 0.5)
        inputs += [{**base, f.wire_name: v} for v in values]
    inputs.append(
        {f.python_name: v for f in model.inputs for k, v in base.items() if k == f.wire_name}
    )
    return [{"model": model.ref, "input": i} for i in inputs]


def _good() -> list[dict[str, Any]]:
    return _spec_examples() + [p for m in models() for p in _boundaries(m)]


def test_every_spec_example_is_collected() -> None:
    examples = _spec_examples()
    # Only the fal and gateway documents carry examples (the Scenario tables have none).
    with_examples = {p["model"] for p in examples}
    assert set(_PAGE_MODELS.values()) <= with_examples
    assert all(ref.startswith(("fal:", "aigateway:")) for ref in with_examples), with_examples
    assert len(examples) >= 11
    assert {
        "model": "aigateway:sonauto/v2/text-to-music",
        "input": {"prompt": "mellow acoustic guitar over soft brushed drums", "duration": 20},
    } in examples


def test_good_payloads_pass_in_every_format(tmp_path: Path) -> None:
    good = _good()
    assert len(good) > 50
    (tmp_path / "all.json").write_text(json.dumps(good, indent=2))
    (tmp_path / "all.jsonl").write_text("\n".join(json.dumps(p) for p in good) + "\n")
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all(good, sort_keys=False))
    done = run_cli("validate", str(tmp_path))
    assert_no_traceback(done)
    assert done.returncode == 0, done.stdout
    assert done.stdout == ""
    assert f"{3 * len(good)} payloads valid (3 files)" in done.stderr


def test_reference_doc_payloads_validate(tmp_path: Path) -> None:
    reference = ROOT / "generated" / "reference"
    for page in sorted(reference.rglob("*.md")):
        name = "-".join(page.relative_to(reference).with_suffix("").parts)
        for index, block in enumerate(
            re.findall(r"```json\n(.*?)\n```", page.read_text(), re.DOTALL)
        ):
            (tmp_path / f"{name}-{index}.json").write_text(block)
    assert len(list(tmp_path.iterdir())) == len(models())
    done = run_cli("validate", str(tmp_path), "--format", "json")
    assert done.returncode == 0, done.stdout
    assert json_output(done)["payloads"] == len(models())


def test_bare_inputs_with_model_option(tmp_path: Path) -> None:
    payload = tmp_path / "bare.yaml"
    payload.write_text("lyrics: |\n  ## (Verse 1) ##\n  la la\nsampleRate: 16000\nbitrate: 32000\n")
    done = run_cli("validate", str(payload), "--model", "scenario:minimax/music-01")
    assert done.returncode == 0, done.stdout


def test_local_media_is_probed_for_its_length(tmp_path: Path) -> None:
    shutil.copy(ROOT / "emulator" / "media" / "demo.mp4", tmp_path / "clip.mp4")  # 12 s
    ok = tmp_path / "ok.json"
    ok.write_text(
        json.dumps(
            {
                "model": "scenario:model_sonilo-v1-1-video-to-music",
                "input": {"video": "clip.mp4", "startOffset": 2, "duration": 10},
            }
        )
    )
    late = tmp_path / "late.json"
    late.write_text(
        json.dumps(
            {
                "model": "scenario:model_sonilo-v1-1-video-to-music",
                "input": {"video": "clip.mp4", "startOffset": 2, "duration": 11},
            }
        )
    )
    assert run_cli("validate", str(ok)).returncode == 0
    done = run_cli("validate", str(late), "--format", "json")
    assert done.returncode == 1
    [problem] = json_output(done)["problems"]
    assert problem["code"] == "cross-field"
    assert problem["path"] == "$.input.duration"
    assert "(12 s)" in problem["message"]
    assert problem["source"] == "specs/scenario/sonilo-parameters.md:45"  # the sentence
    # A stated length wins over probing; wire and python names both work.
    for name in ("video", "video"):
        assert run_cli("validate", str(late), "--media-duration", f"{name}=13").returncode == 0


def test_media_duration_option_takes_python_and_wire_names(tmp_path: Path) -> None:
    payload = tmp_path / "p.json"
    payload.write_text(
        json.dumps(
            {
                "model": "scenario:model_sonilo-v1-1-video-to-music",
                "input": {"video": "asset_x", "startOffset": 30, "duration": 40},
            }
        )
    )
    assert run_cli("validate", str(payload)).returncode == 0  # no length known: static bounds only
    for option in ("video=60", "video=69.5"):
        assert run_cli("validate", str(payload), "--media-duration", option).returncode == 1
    assert run_cli("validate", str(payload), "--media-duration", "video=70").returncode == 0
    fal = tmp_path / "fal.json"
    fal.write_text(
        json.dumps(
            {
                "model": "fal:sonilo/v1.1/video-to-music",
                "input": {"video_url": "https://x/v.mp4", "start_offset": 30, "duration": 40},
            }
        )
    )
    assert run_cli("validate", str(fal), "--media-duration", "video_url=60").returncode == 1


def test_unreadable_media_file_is_reported_at_its_value(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_bytes(b"not really a video")
    payload = tmp_path / "p.json"
    payload.write_text(
        json.dumps(
            {
                "model": "fal:sonilo/v1.1/video-to-music",
                "input": {"video_url": "clip.mp4", "duration": 5},
            }
        )
    )
    done = run_cli("validate", str(payload), "--format", "json")
    assert_no_traceback(done)
    assert done.returncode == 1
    [problem] = json_output(done)["problems"]
    assert (problem["code"], problem["path"]) == ("media", "$.input.video_url")
    assert "clip.mp4" in problem["message"]
