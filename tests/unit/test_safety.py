"""The safety gate refuses any generated module where spec text escaped its literal."""

from __future__ import annotations

import pytest

from musicbind.generator.emit.safety import UnsafeCodeError, check_module

SAFE = '''
"""Doc."""
from __future__ import annotations
from typing import Annotated
from pydantic import Field
from musicbind.runtime import InputModel

class A(InputModel):
    """Doc with '\\'' quotes."""
    x: Annotated[int | None, Field(alias="x-y", ge=1)] = 1
    """Attribute doc."""
'''


def test_safe_module_passes() -> None:
    check_module(SAFE, "ok.py")


@pytest.mark.parametrize(
    "source",
    [
        "import os\n",
        "from subprocess import run\n",
        "__import__('os').system('id')\n",
        "x = eval('1')\n",
        "class A:\n    x: int = print('hi')\n",
        "lambda: 1\n",
        "x\n",
        "del x\n",
        "def f(:\n",
    ],
)
def test_unsafe_modules_refused(source: str) -> None:
    with pytest.raises(UnsafeCodeError):
        check_module(source, "bad.py")
