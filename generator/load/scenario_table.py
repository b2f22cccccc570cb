"""Load stage: Scenario "Parameters Reference" markdown pages -> SpecDocument.

A page lists models; each model is a heading, a description paragraph, ``**Model ID:**``,
``**Capabilities:**`` and a parameter table (several tables are merged) in one of two layouts:

- Parameter / Type / Required / Default / Min / Max / Allowed Values / Description
- Input / Label / Type / Default / Min / Max / Allowed Values / Notes (older; it has no
  Required column: a parameter is required only when its Notes say so outright, i.e. they
  begin with "Required" as a clause of its own or hold "(required)"; "Required when ..."
  and everything else is optional)

Min and Max bound the value for numbers, the length for strings and the item count for
arrays. Empty cells are written "", "-", "–", "—" or a lone quote. A file's media is taken
from a "file (audio)" type or from a name word (video, audio, image). Scraped copies that
arrive as mojibake (UTF-8 read as cp874) are repaired when decoded (decoding.py), with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from musicbind.generator.load.decoding import (
    text_sha256,
)
from musicbind.generator.load.dialects import Dialect
from musicbind.generator.load.markdown_blocks import (
    Block,
    Heading,
    LabelLine,
    Paragraph,
    Table,
    label_lines,
    one_line,
    read_blocks,
    walk,
)
from musicbind.generator.load.records import (
    DocumentKind,
    Level,
    Location,
    SpecDocument,
    SpecModel,
    SpecParam,
    SpecProblem,
)
from musicbind.generator.load.scenario_table_rows import RowReader

PROVIDER = "scenario"


def looks_like(text: str) -> bool:
    """True for a markdown page with a ``**Model ID:**`` label and a parameter table."""
    if "Model ID" not in text or "|" not in text:
        return False
    blocks = list(walk(read_blocks(text)))
    has_id = any(_has_model_id(b) for b in blocks)
    has_table = any(isinstance(b, Table) and _columns(b) is not None for b in blocks)
    return has_id and has_table


def load(text: str, path: str) -> SpecDocument:
    """Read every model of a Parameters Reference page from its decoded text (mojibake
    already repaired by :func:`generator.load.decoding.decode_document`); never raises."""
    problems: list[SpecProblem] = []
    sections, stray = _model_sections(read_blocks(text))
    for table in stray:
        message = "parameter table outside any model section (no **Model ID:**): ignored"
        problems.append(_problem(Level.WARNING, path, table.line, message))
    models: list[SpecModel] = []
    for section in sections:
        model = _read_model(section, path, problems)
        if model is None:
            continue
        if any(m.model_id == model.model_id for m in models):
            message = f"model {model.model_id!r} is described twice; the second is ignored"
            problems.append(SpecProblem(Level.ERROR, model.location, message))
            continue
        models.append(model)
    return SpecDocument(
        path=path,
        kind=DocumentKind.SCENARIO_TABLE,
        sha256=text_sha256(text),
        provider=PROVIDER,
        models=tuple(models),
        problems=tuple(problems),
        dialects=table_dialects(
            [t for section in sections for t in _parameter_tables(section.blocks)]
        ),
    )


def table_dialects(tables: Sequence[Table]) -> tuple[Dialect, ...]:
    """The layouts of the page's parameter tables: the older one names an ``Input`` column
    and has no ``Required`` column; any other is the current one."""
    found = {_layout(table) for table in tables}
    return tuple(dialect for dialect in Dialect if dialect in found)


def _layout(table: Table) -> Dialect:
    words = {one_line(cell.text).strip("*: ").lower() for cell in table.header.cells}
    if "input" in words and "required" not in words:
        return Dialect.SCENARIO_TABLE_OLDER
    return Dialect.SCENARIO_TABLE_CURRENT


def _problem(level: Level, path: str, line: int, message: str) -> SpecProblem:
    return SpecProblem(level, Location(path, line=line), message)


# --- sections ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Section:
    heading: Heading | None
    blocks: list[Block] = field(default_factory=list)


def _has_model_id(block: Block) -> bool:
    return isinstance(block, Paragraph) and any(
        label.label == "model id" for label in label_lines(block)
    )


def _model_sections(blocks: Sequence[Block]) -> tuple[list[_Section], list[Table]]:
    """Group blocks into model sections; also return parameter tables outside any model.

    A model section starts at a heading whose own text holds a ``**Model ID:**`` label and
    takes in deeper headings until one of the same or a higher level, or another model.
    """
    models: list[_Section] = []
    stray: list[Table] = []
    current: _Section | None = None
    for segment in _segments(blocks):
        if any(_has_model_id(b) for b in walk(segment.blocks)):
            current = segment
            models.append(current)
        elif current is not None and _is_deeper(segment.heading, current.heading):
            current.blocks.extend([*_heading_list(segment.heading), *segment.blocks])
        else:
            current = None
            stray.extend(_parameter_tables(segment.blocks))
    return models, stray


def _segments(blocks: Sequence[Block]) -> list[_Section]:
    segments = [_Section(None)]
    for block in blocks:
        if isinstance(block, Heading):
            segments.append(_Section(block))
        else:
            segments[-1].blocks.append(block)
    return segments


def _is_deeper(heading: Heading | None, parent: Heading | None) -> bool:
    return heading is not None and parent is not None and heading.level > parent.level


def _heading_list(heading: Heading | None) -> list[Block]:
    return [heading] if heading is not None else []


def _parameter_tables(blocks: Sequence[Block]) -> list[Table]:
    return [b for b in walk(blocks) if isinstance(b, Table) and _columns(b) is not None]


# --- one model ---------------------------------------------------------------------------


def _read_model(section: _Section, path: str, problems: list[SpecProblem]) -> SpecModel | None:
    labels = _section_labels(section.blocks)
    id_label = labels["model id"]
    model_id = id_label.codes[0].strip() if id_label.codes else id_label.text
    if not model_id or any(char.isspace() for char in model_id):
        message = f"**Model ID:** must be one word, found {id_label.text!r}: model skipped"
        problems.append(_problem(Level.ERROR, path, id_label.line, message))
        return None
    line = section.heading.line if section.heading else id_label.line
    inputs = _read_inputs(section, model_id, line, path, problems)
    return SpecModel(
        provider=PROVIDER,
        model_id=model_id,
        location=Location(path, line=line),
        title=section.heading.text if section.heading else "",
        description=_description(section.blocks),
        capabilities=_capabilities(labels.get("capabilities")),
        inputs=inputs,
    )


def _section_labels(blocks: Sequence[Block]) -> dict[str, LabelLine]:
    labels: dict[str, LabelLine] = {}
    for block in walk(blocks):
        if isinstance(block, Paragraph):
            for label in label_lines(block):
                labels.setdefault(label.label, label)
    return labels


def _description(blocks: Sequence[Block]) -> str:
    """The section's plain paragraphs (not label lines) before its first table."""
    texts: list[str] = []
    for block in blocks:
        if isinstance(block, Table | Heading):
            break
        if isinstance(block, Paragraph):
            texts.append(_unlabelled_text(block))
    return "\n\n".join(t for t in texts if t)


def _unlabelled_text(paragraph: Paragraph) -> str:
    """A paragraph's text without its ``**Label:** value`` lines."""
    labelled = {label.line - paragraph.line for label in label_lines(paragraph)}
    lines = paragraph.text.split("\n")
    return one_line(" ".join(t for i, t in enumerate(lines) if i not in labelled))


def _capabilities(label: LabelLine | None) -> tuple[str, ...]:
    if label is None:
        return ()
    words = label.codes or tuple(label.text.split(","))
    return tuple(w.strip() for w in words if w.strip())


def _read_inputs(
    section: _Section, model_id: str, line: int, path: str, problems: list[SpecProblem]
) -> tuple[SpecParam, ...] | None:
    tables = [b for b in walk(section.blocks) if isinstance(b, Table)]
    usable = [t for t in tables if _columns(t) is not None]
    if not usable:
        where = tables[0].line if tables else line
        message = (
            f"model {model_id!r}: its table lacks a Parameter (or Input) or a Type column"
            if tables
            else f"model {model_id!r} has no parameter table: its inputs are unknown"
        )
        level = Level.ERROR if tables else Level.WARNING
        problems.append(_problem(level, path, where, message))
        return None
    params: list[SpecParam] = []
    for table in usable:
        for param in _read_table(table, path, problems):
            if any(p.wire_name == param.wire_name for p in params):
                message = f"parameter {param.wire_name!r} is listed twice; the second is ignored"
                where = param.location.line or line
                problems.append(_problem(Level.ERROR, path, where, message))
                continue
            params.append(param)
    return tuple(params)


# --- columns -----------------------------------------------------------------------------

_COLUMN_NAMES = {
    "parameter": "name",
    "input": "name",
    "name": "name",
    "param": "name",
    "label": "title",
    "type": "type",
    "required": "required",
    "default": "default",
    "default value": "default",
    "min": "min",
    "minimum": "min",
    "max": "max",
    "maximum": "max",
    "allowed values": "allowed",
    "allowed": "allowed",
    "options": "allowed",
    "values": "allowed",
    "description": "description",
    "notes": "description",
    "note": "description",
}


def _columns(table: Table) -> dict[str, int] | None:
    """Canonical column -> index; None unless the table has a name and a type column."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(table.header.cells):
        key = _COLUMN_NAMES.get(one_line(cell.text).strip("*: ").lower())
        if key is not None:
            columns.setdefault(key, index)
    return columns if "name" in columns and "type" in columns else None


def _read_table(table: Table, path: str, problems: list[SpecProblem]) -> list[SpecParam]:
    columns = _columns(table)
    if columns is None:
        return []
    params: list[SpecParam] = []
    for row in table.rows:
        reader = RowReader(row, columns, path)
        param = reader.read()
        problems.extend(reader.problems)
        if param is not None:
            params.append(param)
    return params
