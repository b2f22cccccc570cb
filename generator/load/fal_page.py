"""Load stage: fal model pages in LLM markdown -> SpecDocument (one model).

Read: the ``#`` title and its quoted summary, the Overview bullets (Endpoint, Model ID,
Category), the Pricing sentence, the ``Input Schema`` and ``Output Schema`` bullets
(``- **`name`** (`type`, _required_):`` + description + ``Default:``/``Range:``/``Options:``/
``Examples:``/``Array of X`` sub-bullets) and the JSON examples introduced by "Required
Parameters Example", "Full Example" or "Example Response". Everything else (usage code,
trailing sections, a pasted queue OpenAPI document) is ignored.

fal file objects (``Audio``, ``File``, ``Image``, ``VideoFile``, ``AudioFile`` ...) become
OBJECT types with a shape; when the page does not define the shape under a heading of that
name, the standard fal file fields (url, content_type, file_name, file_size) are used.
Inputs that are file URLs (``video_url``) are strings: fal takes files as URLs. The schema
bullets and shapes are read by :mod:`generator.load.fal_page_fields`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from musicbind.generator.load.decoding import (
    text_sha256,
)
from musicbind.generator.load.dialects import Dialect
from musicbind.generator.load.fal_page_fields import ShapeBook
from musicbind.generator.load.located import DOCUMENT_LIMITS
from musicbind.generator.load.located_json import read_json
from musicbind.generator.load.markdown_blocks import (
    Block,
    BulletList,
    Fence,
    Heading,
    LabelLine,
    MarkdownPage,
    Paragraph,
    Quote,
    label_lines,
    one_line,
    read_blocks,
    sections,
    walk,
)
from musicbind.generator.load.price_text import (
    parse_price,
)
from musicbind.generator.load.records import (
    DocumentKind,
    JsonValue,
    Level,
    SpecDocument,
    SpecModel,
    SpecParam,
    SpecPrice,
)

PROVIDER = "fal"


def looks_like(text: str) -> bool:
    """True for a page with an Endpoint or Model ID bullet and an ``Input Schema`` heading,
    or an Endpoint on fal.run (a fal page whose Input Schema section is missing: ``load``
    says so)."""
    if "Input Schema" not in text and "fal" not in text:
        return False
    blocks = read_blocks(text)
    labels = _overview_labels(blocks)
    if not labels.keys() & _ID_LABELS:
        return False
    return INPUT_SCHEMA.lower() in _headings(blocks) or _on_fal(labels)


_ID_LABELS = frozenset({"endpoint", "model id"})
INPUT_SCHEMA = "Input Schema"
_FAL_HOSTS = re.compile(r"^https?://(?:[\w-]+\.)*fal\.(?:run|ai)(?:/|$)", re.IGNORECASE)


def _headings(blocks: Sequence[Block]) -> dict[str, Heading]:
    """Every heading by its lowered text (the first of each)."""
    found: dict[str, Heading] = {}
    for block in walk(blocks):
        if isinstance(block, Heading):
            found.setdefault(block.text.lower(), block)
    return found


def _on_fal(labels: dict[str, LabelLine]) -> bool:
    endpoint = labels.get("endpoint")
    return endpoint is not None and bool(_FAL_HOSTS.match(_label_value(endpoint)))


def load(text: str, path: str) -> SpecDocument:
    """Read the page's one model from its decoded text (mojibake already repaired by
    :func:`generator.load.decoding.decode_document`); never raises on bad input."""
    blocks = read_blocks(text)
    reader = _PageReader(blocks, path)
    model = reader.read()
    return SpecDocument(
        path=path,
        kind=DocumentKind.FAL_PAGE,
        sha256=text_sha256(text),
        provider=PROVIDER,
        models=(model,) if model is not None else (),
        problems=tuple(reader.problems),
        dialects=page_dialects(blocks),
    )


_PASTED_OPENAPI = re.compile(r'\A\s*\{.{0,4000}?"openapi"\s*:\s*"3\.', re.DOTALL)


def page_dialects(blocks: Sequence[Block]) -> tuple[Dialect, ...]:
    """A fal model page; also one with the queue OpenAPI document pasted in a code fence."""
    pasted = any(
        isinstance(b, Fence) and _PASTED_OPENAPI.match(b.content) is not None for b in walk(blocks)
    )
    if pasted:
        return (Dialect.FAL_MODEL_PAGE, Dialect.FAL_MODEL_PAGE_WITH_OPENAPI)
    return (Dialect.FAL_MODEL_PAGE,)


def _overview_labels(blocks: Sequence[Block]) -> dict[str, LabelLine]:
    """``**Label**: value`` lines of list items, the Overview section's first."""
    overview = next((body for h, body in sections(blocks) if h.text.lower() == "overview"), [])
    labels: dict[str, LabelLine] = {}
    for scope in (overview, blocks):
        for block in walk(scope):
            if isinstance(block, BulletList):
                for item in block.items:
                    for paragraph in item.paragraphs:
                        for label in label_lines(paragraph):
                            labels.setdefault(label.label, label)
    return labels


def _label_value(label: LabelLine) -> str:
    return (label.codes[0] if label.codes else label.text).strip()


def _endpoint_id(url: str) -> str:
    match = re.match(r"https?://[^/\s]+/(?P<path>\S+)", url)
    return (match.group("path") if match else url).strip("/")


# --- the page ----------------------------------------------------------------------------


class _PageReader(MarkdownPage):
    """Reads one page; collects problems as it goes."""

    def read(self) -> SpecModel | None:
        labels = _overview_labels(self.blocks)
        model_id, endpoint = self.identity(labels)
        if model_id is None:
            return None
        title = next((b for b in self.blocks if isinstance(b, Heading) and b.level == 1), None)
        id_label = labels.get("model id") or labels["endpoint"]
        line = title.line if title else id_label.line
        category = _label_value(labels["category"]) if "category" in labels else ""
        shapes = ShapeBook(self)
        inputs = self.schema("input schema", shapes)
        outputs = self.schema("output schema", shapes)
        input_examples, output_examples = self.examples()
        return SpecModel(
            provider=PROVIDER,
            model_id=model_id,
            location=self.at(line),
            title=title.text if title else "",
            description=self.summary(),
            category=category or None,
            inputs=inputs,
            outputs=outputs,
            shapes=shapes.used(),
            price=self.price(),
            input_examples=input_examples,
            output_examples=output_examples,
            endpoint=endpoint,
        )

    def identity(self, labels: dict[str, LabelLine]) -> tuple[str | None, str | None]:
        """The model id (Model ID bullet, else the Endpoint's path) and the endpoint id."""
        endpoint = _endpoint_id(_label_value(labels["endpoint"])) if "endpoint" in labels else None
        model_id = _label_value(labels["model id"]) if "model id" in labels else endpoint
        if not model_id:
            self.problem(Level.ERROR, 1, "no Model ID or Endpoint bullet in the Overview")
            return None, None
        if endpoint and endpoint != model_id:
            message = f"Endpoint {endpoint!r} differs from Model ID {model_id!r}"
            self.problem(Level.WARNING, labels["endpoint"].line, message)
        return model_id, endpoint or model_id

    def summary(self) -> str:
        """The quoted summary under the title, else the first paragraph before any section."""
        for block in self.blocks:
            if isinstance(block, Heading) and block.level > 1:
                break
            if isinstance(block, Quote):
                return "\n\n".join(
                    one_line(b.text) for b in block.blocks if isinstance(b, Paragraph)
                )
            if isinstance(block, Paragraph):
                return one_line(block.text)
        return ""

    def price(self) -> SpecPrice | None:
        for heading, body in sections(self.blocks):
            if heading.text.lower() != "pricing":
                continue
            for block in walk(body):
                if isinstance(block, Paragraph) and (found := parse_price(one_line(block.text))):
                    return SpecPrice(
                        found.amount,
                        found.currency,
                        found.unit,
                        found.per_sample,
                        self.at(block.line),
                    )
            self.problem(
                Level.WARNING, heading.line, "Pricing section with no price this loader reads"
            )
        return None

    def schema(self, title: str, shapes: ShapeBook) -> tuple[SpecParam, ...] | None:
        section = next(
            ((h, body) for h, body in sections(self.blocks) if h.text.lower() == title), None
        )
        if section is None:
            if title == INPUT_SCHEMA.lower():
                self.problem(Level.ERROR, 1, self.no_input_schema())
            else:
                self.problem(
                    Level.WARNING, 1, f"no {title.title()} section: the outputs are unknown"
                )
            return None
        # A problem in the output section never costs the model its inputs: an output
        # field of a type the loader cannot read is a warning and any JSON value.
        shapes.loose = title == "output schema"
        try:
            return shapes.read_fields(section[1])
        finally:
            shapes.loose = False

    def no_input_schema(self) -> str:
        """Why a page that reads as a fal model page yields no inputs, and what it has."""
        headings = [b for b in walk(self.blocks) if isinstance(b, Heading)]
        found = ", ".join(repr(f"{'#' * h.level} {h.text}") for h in headings) or "none"
        texts = {h.text.lower(): h.text for h in headings if h.text.lower() != "output schema"}
        close = [t for t in texts if "input" in t] or difflib.get_close_matches(
            INPUT_SCHEMA.lower(), list(texts), n=1, cutoff=0.6
        )
        hint = f"; did you mean {texts[close[0]]!r}?" if close else ""
        return (
            "the page reads as a fal model page (an Overview with an Endpoint or Model ID) but "
            f"has no '### {INPUT_SCHEMA}' section, which lists the model's inputs; headings "
            f"found: {found}{hint}"
        )

    def examples(self) -> tuple[tuple[JsonValue, ...], tuple[JsonValue, ...]]:
        inputs: list[JsonValue] = []
        outputs: list[JsonValue] = []
        previous: Block | None = None
        for block in self.blocks:
            if isinstance(block, Fence) and isinstance(previous, Paragraph):
                target = _example_target(previous.text, inputs, outputs)
                if target is not None:
                    self.example(block, target)
            previous = block
        return tuple(inputs), tuple(outputs)

    def example(self, fence: Fence, target: list[JsonValue]) -> None:
        located = read_json(fence.content, fence.content_line, DOCUMENT_LIMITS)
        for anomaly in located.anomalies:
            at = anomaly.position
            if anomaly.code == "syntax":
                message = f"example is not JSON ({anomaly.message}, column {at.column}); ignored"
            else:
                message = f"example: {anomaly.message}"
            self.problem(Level.WARNING, at.line, message)
        if located.readable:
            target.append(located.value)


_INPUT_EXAMPLE = re.compile(r"(required parameters|full|input|request) example", re.IGNORECASE)
_OUTPUT_EXAMPLE = re.compile(r"example (response|output)|(response|output) example", re.I)


def _example_target(
    intro: str, inputs: list[JsonValue], outputs: list[JsonValue]
) -> list[JsonValue] | None:
    words = one_line(intro)
    if len(words) > 60:
        return None
    if _OUTPUT_EXAMPLE.search(words):
        return outputs
    if _INPUT_EXAMPLE.search(words):
        return inputs
    return None
