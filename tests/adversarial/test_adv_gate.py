"""The AST gate: code that would run something without an allowed call is refused.

The gate is the last line of defence: were spec text ever to escape its literal, the
module would be refused before it is written. An allow-list of call names is only as good
as the names keeping their meaning, so each case below is a way of running code that the
earlier gate let through (rebinding an allowed name, decorators and metaclasses that call
without a call node, string annotations pydantic evaluates, reaching builtins through
dunders). What generated code is really made of still passes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from adversarial_support import record

from musicbind.generator.emit.safety import UnsafeCodeError, check_module

ROOT = Path(__file__).resolve().parents[2]

BYPASSES = {
    "rebind an allowed name to exec": 'present = exec\npresent("import os")\n',
    "rebind via annotated assignment": 'cast: object = exec\ncast("import os")\n',
    "rebind via an import alias": (
        'from importlib import import_module as present\npresent("mbcanary")\n'
    ),
    "method call matched by its last name": 'import importlib\nimportlib.run("x")\n',
    "call on any object named like an allowed method": 'x = globals\nx.submit("x")\n',
    "decorators call without a call node": '@exec\n@"import os".format\nclass A:\n    pass\n',
    "metaclass calls without a call node": "class A(metaclass=print):\n    pass\n",
    "parameter default smuggles a callable": 'def f(present=exec):\n    present("1")\n',
    "string annotation evaluated by pydantic": (
        "from pydantic import BaseModel\n\n\nclass A(BaseModel):\n"
        "    x: \"__import__('os').getcwd()\"\n"
    ),
    "loop target rebinds an allowed name": 'for present in [exec]:\n    present("1")\n',
    "except target rebinds an allowed name": (
        "try:\n    pass\nexcept Exception as present:\n    pass\n"
    ),
    "builtins through a dunder key": 'x = getattr(globals()["__builtins__"], "exec")\n',
    "builtins through getattr of a dunder": 'x = getattr(dict, "__subclasses__")\n',
    "item assignment into globals()": 'g = globals()\ng["present"] = exec\n',
    "attribute assignment": "import importlib\nimportlib.import_module = exec\n",
    "pydantic calls a default factory": (
        "from pydantic import BaseModel, Field\n\n\nclass A(BaseModel):\n"
        "    x: int = Field(default_factory=breakpoint)\n"
    ),
    "walrus": "(present := exec)\n",
    "match capture": "match 1:\n    case present:\n        pass\n",
    "dunder attribute": "x = dict.__subclasses__\n",
}

# Legitimate names from specs: fields called input, open, property or cast, an allowed value
# that looks like a dunder, model_rebuild of a self-referencing shape, a regex engine switch
# for a lookaround pattern.
LEGITIMATE = '''"""Doc."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from musicbind.runtime import InputModel, present


class Shape(InputModel):
    model_config = ConfigDict(regex_engine="python-re")
    input: Annotated[str | None, Field(pattern="(?=a)a")] = None
    property: Literal["a", "b"] = "a"
    mode: Literal["__init__"] = "__init__"
    cast: int = 1
    inner: Shape | None = None


Shape.model_rebuild()


def run(self, *, input: str | None = None, open: str | None = None) -> dict[str, object]:
    """A method whose parameters are named after fields."""
    return present({"input": input, "open": open})
'''


@pytest.mark.parametrize("source", list(BYPASSES.values()), ids=list(BYPASSES))
def test_ways_of_running_code_are_refused(source: str) -> None:
    with pytest.raises(UnsafeCodeError):
        check_module(source, "bypass.py")


def test_what_generated_code_is_made_of_passes() -> None:
    check_module(LEGITIMATE, "legitimate.py")
    trees = [ROOT / "generated", *(ROOT / "tests" / "golden" / "expected").iterdir()]
    modules = [path for tree in trees for path in sorted(tree.rglob("*.py"))]
    assert len(modules) > 20
    for path in modules:
        check_module(path.read_text(encoding="utf-8"), str(path))
    record("gate_bypasses_refused", len(BYPASSES))
