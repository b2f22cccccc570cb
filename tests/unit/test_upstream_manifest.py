"""The manifest's sync fields and its in-place editor, and where documents are read from.

``etag`` and ``last_modified`` take HTTP's forms only (anything else is a located error);
the editor changes exactly the values it is asked to, keeps every comment and line
around them, and what it writes reads back as written; the docs base URL override moves
an origin to another host and keeps its path and query.
"""

from __future__ import annotations

import email.utils

import pytest
from hypothesis import given
from hypothesis import strategies as st

from musicbind.commands.init import MANIFEST_TEXT
from musicbind.generator.project_files.overlay import load_manifest
from musicbind.upstream.fetch import UpstreamError, resolve_url
from musicbind.upstream.manifest import append_entries, read_back, set_fields

MANIFEST = """\
# Our documents.
documents:
  # the fal page
  - path: fal/a.md          # a comment after a value
    provider: fal
    kind: fal-page
    origin: https://fal.ai/models/a/llms.txt
    retrieved: 2026-11-20   # first copy

  - path: fal/b.json
    provider: fal
    kind: openapi
    retrieved: 2026-11-20
# the end
"""
ETAG_CHARACTERS = st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='"')
TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=40)


@given(st.booleans(), st.text(ETAG_CHARACTERS, max_size=30))
def test_an_entity_tag_is_read(weak: bool, opaque: str) -> None:
    tag = ('W/"' if weak else '"') + opaque + '"'
    entries = read_back(set_fields(MANIFEST, 1, {"etag": tag}), "m.yaml")
    assert entries[1].etag == tag


@given(st.integers(0, 4_102_444_800))
def test_an_http_date_is_read(seconds: int) -> None:
    date = email.utils.formatdate(seconds, usegmt=True)
    entries = read_back(set_fields(MANIFEST, 0, {"last_modified": date}), "m.yaml")
    assert entries[0].last_modified == date


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("etag", "abc", "'abc' is not an HTTP entity tag"),
        ("etag", "'\"a b\"'", "is not an HTTP entity tag"),
        ("last_modified", "yesterday", "'yesterday' is not an HTTP date"),
        ("last_modified", "'Sun, 06 Dec 2026 04:37:49 UTC'", "is not an HTTP date"),
        ("etags", "'\"a\"'", 'unknown key "etags"; did you mean "etag"?'),
    ],
)
def test_a_bad_validator_is_a_located_error(key: str, value: str, message: str) -> None:
    text = MANIFEST.replace("    retrieved: 2026-11-20\n", f"    {key}: {value}\n")
    entries, problems = load_manifest(text, "m.yaml")
    assert [p.location.line for p in problems] == [13]
    assert message in problems[0].message
    assert [e.path for e in entries] == ["fal/a.md"]  # only the entry in error is dropped


@given(TEXT, TEXT)
def test_set_fields_changes_only_what_it_is_asked(origin: str, retrieved: str) -> None:
    edited = set_fields(MANIFEST, 0, {"origin": origin, "retrieved": retrieved})
    entries = read_back(edited, "m.yaml")
    assert (entries[0].origin, entries[0].retrieved) == (origin, retrieved)
    assert entries[1] == read_back(MANIFEST, "m.yaml")[1]
    kept = [line for line in MANIFEST.splitlines() if "origin:" not in line]
    kept = [line for line in kept if "retrieved: 2026-11-20   #" not in line]
    assert all(line in edited.splitlines() for line in kept)
    assert "   # first copy" in edited


@pytest.mark.parametrize(
    "manifest",
    [MANIFEST, MANIFEST_TEXT, "documents:\n", "", "# nothing yet\n"],
    ids=["block-list", "init-starter", "null", "empty", "comment-only"],
)
@given(st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=30))
def test_append_entries_keeps_the_old_and_adds_the_new(manifest: str, origin: str) -> None:
    old = read_back(manifest, "m.yaml")
    new = {"path": "scenario/x.md", "provider": "scenario", "kind": "scenario-table"}
    edited = append_entries(manifest, [{**new, "origin": origin, "retrieved": "2026-12-06"}])
    entries = read_back(edited, "m.yaml")
    assert [e.path for e in entries] == [*(e.path for e in old), "scenario/x.md"]
    assert entries[-1].origin == origin
    comments = [line for line in manifest.splitlines() if line.lstrip().startswith("#")]
    assert all(line in edited.splitlines() for line in comments)


def test_the_docs_url_moves_the_origin_and_keeps_its_path_and_query() -> None:
    origin = "https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=a/b"
    environ = {"MUSICBIND_FAL_DOCS_URL": "http://127.0.0.1:9/docs/fal/"}
    assert resolve_url(origin, "fal", environ) == (
        "http://127.0.0.1:9/docs/fal/api/openapi/queue/openapi.json?endpoint_id=a/b"
    )
    assert resolve_url(origin, "scenario", environ) == origin
    assert resolve_url(origin, "fal", {}) == origin


@pytest.mark.parametrize(
    ("origin", "environ", "message"),
    [
        ("file:///etc/passwd", {}, "is not an http(s) URL"),
        ("fal.ai/models/x", {}, "is not an http(s) URL"),
        ("https://fal.ai/x", {"MUSICBIND_FAL_DOCS_URL": "ftp://h/x"}, "not an http(s) base URL"),
        ("https://fal.ai/x", {"MUSICBIND_FAL_DOCS_URL": "http://h/?a=1"}, "no query"),
    ],
)
def test_only_http_origins_are_read(origin: str, environ: dict[str, str], message: str) -> None:
    with pytest.raises(UpstreamError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve_url(origin, "fal", environ)
