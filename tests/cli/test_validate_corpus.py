"""Acceptance 1: 200+ bad payloads across every model and every kind of bad input.

Each must get a located finding (file:line:column, JSON path, code) and the right exit
status, in-process and through the real command line, with no traceback ever.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from bad_payloads import Case, cases
from cli_support import assert_no_traceback, json_output, models, run_cli

from musicbind.validation.findings import Finding, Report
from musicbind.validation.validator import BindingSource, ValidateOptions, Validator

CORPUS = list(cases(models()))
KINDS = {
    "range",
    "type",
    "allowed",
    "unknown-field",
    "missing",
    "not-a-number",
    "huge-number",
    "huge-string",
    "too-deep",
    "duplicate-key",
    "syntax",
    "unknown-model",
    "no-model",
    "cross-field",
}


@pytest.fixture(scope="module")
def source() -> BindingSource:
    return BindingSource("musicbind.generated")


def _write(case: Case, folder: Path) -> Path:
    path = folder / f"{case.name}{case.suffix}"
    path.write_text(case.text, encoding="utf-8")
    return path


def _matches(finding: Finding, case: Case, path: Path) -> bool:
    return (
        finding.file == path.as_posix()
        and finding.code == case.code
        and finding.path == case.path
        and (case.line is None or finding.line == case.line)
        and (case.column is None or finding.column == case.column)
    )


def _check(report: Report, case: Case, path: Path) -> None:
    shown = "\n".join(f"{f.line}:{f.column} {f.code} {f.path} {f.message}" for f in report.findings)
    assert report.exit_code == case.exit_code, shown
    found = [f for f in report.findings if _matches(f, case, path)]
    assert found, (
        f"{case.name}: expected {case.code} at {case.path} {case.line}:{case.column}\n{shown}"
    )
    assert all(f.line is not None and f.column is not None for f in report.findings), shown
    if case.hint is not None:
        assert any(case.hint in (f.hint or "") for f in found), shown


def test_every_bound_model_has_bad_payloads_in_the_corpus() -> None:
    """A model added to the catalogue gets its share of the corpus (it is derived per model)."""
    for model in models():
        slug = model.ref.replace(":", "_").replace("/", "_")
        assert sum(c.name.startswith(slug) for c in CORPUS) >= 30, model.ref


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_each_bad_payload_is_located(case: Case, tmp_path: Path, source: BindingSource) -> None:
    path = _write(case, tmp_path)
    options = ValidateOptions(case.model_option, case.media)
    report = Validator(source, options).validate([path])
    _check(report, case, path)


def test_the_whole_corpus_through_the_command_line(tmp_path: Path) -> None:
    groups: dict[tuple[str | None, tuple[tuple[str, float], ...]], list[Case]] = defaultdict(list)
    for case in CORPUS:
        groups[(case.model_option, tuple(sorted(case.media.items())))].append(case)
    for index, ((model, media), members) in enumerate(sorted(groups.items(), key=str)):
        folder = tmp_path / f"group{index}"
        folder.mkdir()
        written = {case.name: _write(case, folder) for case in members}
        args = ["validate", "--format", "json", str(folder)]
        if model:
            args += ["--model", model]
        for name, seconds in media:
            args += ["--media-duration", f"{name}={seconds}"]
        done = run_cli(*args)
        assert_no_traceback(done)
        assert done.returncode == 1, done.stderr
        data = json_output(done)
        assert data["valid"] is False
        findings = [Finding(**item) for item in data["problems"]]
        for case in members:
            path = written[case.name]
            assert any(_matches(f, case, path) for f in findings), case.name


def test_exit_status_two_for_unreadable_input(tmp_path: Path) -> None:
    binary = tmp_path / "latin1.json"
    binary.write_bytes(b'{"model": "caf\xe9"}')
    good = tmp_path / "good.json"
    good.write_text('{"model": "scenario:minimax/music-01", "input": {"lyrics": "la"}}')
    for args in (
        [str(binary)],
        [str(tmp_path / "missing.json")],
        [str(good), "--model", "fal:nope"],
        [str(good), "--media-duration", "video_url=abc"],
        [str(good), "--format", "xml"],
        [str(good), "--package", "no_such_package_here"],
        [],
    ):
        done = run_cli("validate", *args)
        assert_no_traceback(done)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
    unknown = run_cli("validate", str(good), "--model", "fal:sonilo/v1.1/video-to-musik")
    assert "did you mean" in unknown.stderr and "fal:sonilo/v1.1/video-to-music" in unknown.stderr


def test_text_output_names_the_place_the_rule_and_the_spec_line(tmp_path: Path) -> None:
    payload = tmp_path / "p.json"
    payload.write_text(
        '{\n  "model": "scenario:model_sonilo-v1-1-text-to-music",\n'
        '  "input": {"prompt": "lo-fi", "duration": 601, "durration": 5}\n}\n'
    )
    done = run_cli("validate", str(payload))
    assert_no_traceback(done)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert (
        f"{payload.as_posix()}:3:44: error: $.input.duration: 601 is above the maximum 600; "
        "rule: duration <= 600 (specs/scenario/sonilo-parameters.md:27) "
        "[scenario:model_sonilo-v1-1-text-to-music]"
    ) in lines
    assert any(
        ':3:49: error: $.input.durration: unknown parameter "durration"; did you mean "duration"?'
        in line
        for line in lines
    ), lines
    assert "2 problems in 1 of 1 payloads" in done.stderr
