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


# A generated client's per-ref overloads: ``...`` bodies, and the implementation hands the
# call on with ``super().run`` / ``super().submit``.
CLIENT = '''
from __future__ import annotations
from typing import Literal, overload
from musicbind.runtime import Client, Payload

class C(Client):
    @overload  # type: ignore[override]
    def run(self, binding: Literal["p:a", "p:b"], payload: Payload) -> int: ...
    @overload
    def run(self, binding: str, payload: Payload) -> object: ...
    def run(self, binding: str, payload: Payload) -> object:
        """Doc."""
        return super().run(binding, payload)

    async def submit(self, binding: str, payload: Payload) -> object:
        return await super().submit(binding, payload)
'''


def test_client_overloads_pass() -> None:
    check_module(CLIENT, "client.py")


@pytest.mark.parametrize(
    "source",
    [
        # only run and submit, and only through a plain super()
        "class C(B):\n    def f(self) -> None:\n        super().quote()\n",
        "class C(B):\n    def f(self) -> None:\n        super().__init__()\n",
        "class C(B):\n    def f(self) -> None:\n        super(C, self).run()\n",
        "class C(B):\n    def f(self) -> None:\n        super(exec).run()\n",
        "class C(B):\n    def f(self) -> None:\n        super(x=1).run()\n",
        "class C(B):\n    def f(self) -> None:\n        (lambda: B)().run()\n",
        "class C(B):\n    def f(self) -> None:\n        getattr(self, 'x')().run()\n",
        # super keeps its meaning
        "super = exec\nclass C(B):\n    def f(self) -> None:\n        super().run()\n",
        # ``...`` is the only bare constant besides a docstring
        "def f() -> None:\n    1\n",
        "def f() -> None:\n    None\n",
    ],
)
def test_super_calls_and_bare_constants_stay_narrow(source: str) -> None:
    with pytest.raises(UnsafeCodeError):
        check_module(source, "bad.py")


RULE_CHECKS = '''
"""Doc."""
from __future__ import annotations
from typing import Self
from pydantic import ValidationInfo, model_validator
from musicbind.runtime import InputModel, excludes, required_when, requires

class A(InputModel):
    """Doc."""

    @model_validator(mode="after")
    def _check_cross_field_rules(self, info: ValidationInfo) -> Self:
        """Doc."""
        requires(self, field="a", other="b", rule="requires:a,b")
        excludes(self, field="a", other="c", rule="excludes:a,c")
        required_when(self, field="a", other="d", value=False, rule="required_when:a,d")
        return self
'''


def test_rule_checks_from_sentences_pass() -> None:
    check_module(RULE_CHECKS, "ok.py")
    with pytest.raises(UnsafeCodeError):
        check_module(RULE_CHECKS.replace("requires(self", "exec(self"), "bad.py")


NOT_GIVEN_METHOD = """
from __future__ import annotations
from musicbind.runtime import NOT_GIVEN, UNSET, InputModel, NotGiven, present
class In(InputModel):
    seed: int = UNSET
    cast: int = UNSET
def call(*, seed: int | NotGiven = NOT_GIVEN, style: str | None | NotGiven = NOT_GIVEN) -> None:
    present({"seed": seed, "style": style})
"""


def test_not_given_defaults_pass() -> None:
    check_module(NOT_GIVEN_METHOD, "ok.py")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("seed: int | NotGiven = NOT_GIVEN", "seed: int | NotGiven = UNSET"),  # only NOT_GIVEN
        ("seed: int | NotGiven = NOT_GIVEN", "seed: int = print"),
        ("class In", "NOT_GIVEN = print\nclass In"),  # the allowed default cannot be rebound
        ("import NOT_GIVEN,", "import print as NOT_GIVEN,"),
        ("class In", "UNSET = print\nclass In"),
        ("cast: int = UNSET", "cast: int = NOT_GIVEN"),  # a field default: UNSET only
    ],
)
def test_not_given_is_the_only_name_default(old: str, new: str) -> None:
    assert old in NOT_GIVEN_METHOD
    with pytest.raises(UnsafeCodeError):
        check_module(NOT_GIVEN_METHOD.replace(old, new), "bad.py")
