"""Explicit null versus "not given" (issue 12): null only where the document allows it, and
nothing the caller did not set is ever sent.

The fixture ``constructs/fal-explicit-null.json`` has a required ``prompt``, two optional
fields the document does not let be null (``seed``; ``steps`` with a default) and two it
does (``style`` with ``nullable: true``; ``guidance``, ``anyOf`` with null and a default).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from musicbind.emulator import server as emulator_server
from musicbind.generator.generate import generate_paths
from musicbind.generator.ingest import default_overlay_path
from musicbind.runtime import NOT_GIVEN, NotGiven, present

FIXTURE = Path(__file__).parent / "fixtures" / "constructs" / "fal-explicit-null.json"
REF = "fal:example-ai/hum-sketch"
# Values each optional field accepts: python name -> (wire name, value).
VALUES: dict[str, Any] = {"seed": 7, "steps": 20, "style": "lullaby", "guidance": 2.0}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    root = tmp_path_factory.mktemp("explicit_null")
    outcome = generate_paths([FIXTURE], root / "hum_null_pkg", default_overlay_path(), None)
    assert not outcome.errors, outcome.errors
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(root))
        return importlib.import_module("hum_null_pkg")


@pytest.fixture(scope="module")
def model(package: ModuleType) -> type[BaseModel]:
    input_model: type[BaseModel] = package.get_binding(REF).input_model
    return input_model


def wire(instance: BaseModel) -> dict[str, Any]:
    body: dict[str, Any] = instance.to_wire()  # type: ignore[attr-defined]
    return body


@pytest.mark.parametrize("name", ["seed", "steps"])
def test_null_is_refused_where_the_document_does_not_allow_it(
    model: type[BaseModel], name: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate({"prompt": "hm", name: None})
    (error,) = caught.value.errors()
    assert error["loc"] == (name,)
    assert error["type"] == "null_not_allowed"
    assert "null is not allowed" in error["msg"] and "leave the field out" in error["msg"]


@pytest.mark.parametrize("name", ["style", "guidance"])
def test_null_is_sent_as_null_where_the_document_allows_it(
    model: type[BaseModel], name: str
) -> None:
    assert wire(model.model_validate({"prompt": "hm", name: None})) == {"prompt": "hm", name: None}


def test_unset_fields_and_defaults_are_not_sent(model: type[BaseModel]) -> None:
    instance = model.model_validate({"prompt": "hm"})
    assert wire(instance) == {"prompt": "hm"}
    # The defaults are still the document's: the model reads them, the provider applies them.
    assert instance.model_dump(include={"steps", "guidance"}) == {"steps": 8, "guidance": 3.5}
    # A default the caller sets on purpose is sent.
    assert wire(model.model_validate({"prompt": "hm", "steps": 8})) == {"prompt": "hm", "steps": 8}


def test_annotations_follow_the_document(model: type[BaseModel]) -> None:
    takes_none = {
        name: type(None) in get_args(info.annotation) for name, info in model.model_fields.items()
    }
    assert takes_none == {
        "prompt": False,
        "seed": False,
        "steps": False,
        "style": True,
        "guidance": True,
    }


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    chosen=st.dictionaries(
        st.sampled_from(sorted(VALUES)),
        st.booleans(),  # True: the field's value; False: null (where the document allows it)
    )
)
def test_exactly_the_set_fields_are_sent(model: type[BaseModel], chosen: dict[str, bool]) -> None:
    data: dict[str, Any] = {"prompt": "hm"}
    for name, keep in chosen.items():
        data[name] = VALUES[name] if keep or name in ("seed", "steps") else None
    body = wire(model.model_validate(data))
    assert set(body) == set(data)
    assert body == data


def test_present_drops_not_given_and_keeps_null() -> None:
    assert present({"a": NOT_GIVEN, "b": None, "c": 0}) == {"b": None, "c": 0}
    assert isinstance(NOT_GIVEN, NotGiven) and NotGiven() is NOT_GIVEN and not NOT_GIVEN
    assert repr(NOT_GIVEN) == "NOT_GIVEN"


def test_client_methods_default_to_not_given(package: ModuleType) -> None:
    import inspect

    client = importlib.import_module(f"{package.__name__}.fal.client").FalClient
    signature = inspect.signature(client.example_ai_hum_sketch)
    defaults = {n: p.default for n, p in signature.parameters.items() if n in VALUES}
    assert defaults == dict.fromkeys(VALUES, NOT_GIVEN)
    assert signature.parameters["prompt"].default is inspect.Parameter.empty


# The typed client against the emulator: what reaches the provider is exactly what was given.


def test_client_sends_only_given_keywords_and_null_where_allowed(tmp_path: Path) -> None:
    from musicbind.emulator.ledger import payload_hash
    from musicbind.generated.fal.client import FalClient
    from musicbind.runtime.retry import RetryPolicy

    with emulator_server.EmulatorServer(seed=5) as server:
        url = server.media_url()
        with FalClient(
            api_key=server.env()["FAL_KEY"],
            base_url=server.base_url("fal"),
            journal=tmp_path / "j.sqlite3",
            retry=RetryPolicy(initial_delay=0.01, max_delay=0.05),
            timeout=5.0,
        ) as fal:
            # num_samples (default 1) and the rest omitted: not sent; prompt=None: null.
            fal.submit_sonilo_v1_1_video_to_music(video_url=url, prompt=None)
            fal.submit_sonilo_v1_1_video_to_music(video_url=url, num_samples=2)
            with pytest.raises(ValidationError, match="null is not allowed"):
                fal.submit_sonilo_v1_1_video_to_music(video_url=url, num_samples=None)  # type: ignore[arg-type]
        sent = [s.payload_sha256 for s in server.ledger.accepted("fal")]
    assert sent == [
        payload_hash({"video_url": url, "prompt": None}),
        payload_hash({"video_url": url, "num_samples": 2}),
    ]


def test_retyping_follows_nullability_for_required_and_optional_fields() -> None:
    from musicbind.generator.emit.pydantic_models import retype_inputs
    from musicbind.generator.load.records import SpecType, TypeKind
    from musicbind.generator.registry.model import Field

    source = (
        "from pydantic import Field\n\n\n"
        "class In(InputModel):\n"
        "    a: StrictStr\n"
        "    b: Annotated[StrictInt | None, Field(ge=0)] = None\n"
        "    c: StrictStr | None = None\n"
        "\n\nclass Out(OutputModel):\n"
        "    b: StrictInt | None = None\n"
    )
    fields = (
        Field("a", "a", SpecType(TypeKind.STRING, nullable=True), required=True),
        Field("b", "b", SpecType(TypeKind.INTEGER), required=False),
        Field("c", "c", SpecType(TypeKind.STRING, nullable=True), required=False),
    )
    retyped, uses_unset = retype_inputs(source, {"In": fields})
    assert uses_unset  # the module template then imports UNSET
    assert "    a: StrictStr | None\n" in retyped  # required, nullable: None is a value
    assert "    b: Annotated[StrictInt, Field(ge=0)] = UNSET\n" in retyped
    assert "    c: StrictStr | None = None\n" in retyped
    assert retyped.endswith("class Out(OutputModel):\n    b: StrictInt | None = None\n")
