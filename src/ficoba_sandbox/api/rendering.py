"""An answer's JSON: the backend's result dataclasses as the wire models dump them, and its bytes.

`wire(model, result, body)` gives the same dict as `model.model_validate(result,
from_attributes=True).model_dump(mode="json", by_alias=True, exclude_none=True)` for the field
types the wire models use (str, int, nested models, lists of them), walking the dataclasses
directly (several times faster); anything else goes through pydantic. `encode` gives the bytes
Starlette's `JSONResponse.render` would (compact separators, UTF-8, key order kept), by orjson.

The large shared parts of answers (a person's block, an account: `backend.results.SHARED`)
are the same objects from one answer to the next (the backend memoises them): their dump, and
their encoding as an `orjson.Fragment`, are kept in a `DumpMemo` (one per pipeline) and copied
into each answer. Measured in docs/performance.md.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

import orjson
from pydantic import BaseModel

from ficoba_sandbox.api import reading
from ficoba_sandbox.backend.results import SHARED


class _Slow(Exception):
    """The fast serialiser met something it does not reproduce exactly: use pydantic."""


#: per wire model: (output key, attribute names to read in order, kind, nested model, required)
_Plan = tuple[tuple[str, tuple[str, ...], str, Any, bool], ...]
_PLANS: dict[type[BaseModel], _Plan | None] = {}


def _plan(model: type[BaseModel]) -> _Plan | None:
    """How pydantic reads (`from_attributes`, alias then name) and dumps (`by_alias`, `mode=json`,
    `exclude_none`) `model`, for the field types the wire models use; None for anything else."""
    if model in _PLANS:
        return _PLANS[model]
    _PLANS[model] = None  # recursion guard
    decorators = model.__pydantic_decorators__
    plan: _Plan | None = None
    if not (
        decorators.validators
        or decorators.field_validators
        or decorators.root_validators
        or decorators.field_serializers
        or decorators.model_serializers
        or decorators.model_validators
        or decorators.computed_fields
    ):
        steps = []
        for name, field in model.model_fields.items():
            va = field.validation_alias if field.validation_alias is not None else field.alias
            if not isinstance(va, str | None) or field.metadata or field.exclude:
                return None
            if not field.is_required() and field.get_default() is not None:
                return None
            key = field.serialization_alias or field.alias or name
            attrs = tuple(dict.fromkeys(a for a in (va, name) if a))
            ann = field.annotation
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            base = args[0] if isinstance(ann, types.UnionType) and len(args) == 1 else ann
            if base in (str, int):
                steps.append((key, attrs, "scalar", base, field.is_required()))
            elif isinstance(base, type) and issubclass(base, BaseModel):
                steps.append((key, attrs, "model", base, field.is_required()))
            elif typing.get_origin(base) is list and len(typing.get_args(base)) == 1:
                item = typing.get_args(base)[0]
                if not (isinstance(item, type) and issubclass(item, BaseModel)):
                    return None
                steps.append((key, attrs, "list", item, field.is_required()))
            else:
                steps.append((key, attrs, "other", None, field.is_required()))
        plan = tuple(steps)
    _PLANS[model] = plan
    return plan


#: per (wire model, dataclass type): (output key, attribute or None, kind, nested model, required)
_Bound = tuple[tuple[str, str | None, str, Any, bool], ...]
_BOUND: dict[tuple[type[BaseModel], type], _Bound | None] = {}


def _bind(model: type[BaseModel], cls: type) -> _Bound | None:
    """`_plan(model)` with, for each field, the attribute pydantic would read on a `cls`
    instance: the alias if `cls` has it, else the field name (None: neither, the default)."""
    plan = _plan(model)
    bound: _Bound | None = None
    fields = getattr(cls, "__dataclass_fields__", None)
    if plan is not None and isinstance(fields, dict):
        steps = []
        for key, attrs, kind, sub, required in plan:
            attr = next((a for a in attrs if a in fields or hasattr(cls, a)), None)
            if attr is None and required:
                return None
            steps.append((key, attr, kind, sub, required))
        bound = tuple(steps)
    _BOUND[model, cls] = bound
    return bound


class DumpMemo:
    """Serialised shared fragments (results.SHARED): (model, id) -> [the instance, its dump,
    its orjson encoding as an `orjson.Fragment` once asked for].

    The instance is kept with its dump, so its id cannot be reused while the entry lives; bounded
    (emptied when full). One per pipeline: no global."""

    def __init__(self, max_entries: int = 16_384) -> None:
        self.max_entries = max_entries
        self.entries: dict[tuple[type[BaseModel], int], list[Any]] = {}


def _dump(model: type[BaseModel], obj: Any, memo: DumpMemo | None, fragments: bool = False) -> Any:
    """`obj` as `model` dumps it: a dict, or with `fragments`, for a shared instance, the
    `orjson.Fragment` of that dict (encoded once, then copied by orjson into every answer)."""
    cls = type(obj)
    if memo is not None and cls in SHARED:
        key = (model, id(obj))
        hit = memo.entries.get(key)
        if hit is None or hit[0] is not obj:
            out = _walk(model, obj, cls, memo)
            if len(memo.entries) >= memo.max_entries:
                memo.entries.clear()
            memo.entries[key] = hit = [obj, out, None]
        if not fragments:
            return hit[1]
        if hit[2] is None:
            hit[2] = orjson.Fragment(orjson.dumps(hit[1]))
        return hit[2]
    return _walk(model, obj, cls, memo, fragments)


def _walk(
    model: type[BaseModel], obj: Any, cls: type, memo: DumpMemo | None, fragments: bool = False
) -> dict[str, Any]:
    try:
        bound = _BOUND[model, cls]
    except KeyError:
        bound = _bind(model, cls)
    if bound is None:
        raise _Slow
    out: dict[str, Any] = {}
    for key, attr, kind, sub, _required in bound:
        if attr is None:
            continue  # not an attribute of this type: the field's default, None, left out
        value = getattr(obj, attr)
        if value is None:
            continue
        if kind == "scalar":
            if type(value) is not sub:
                raise _Slow
            out[key] = value
        elif kind == "model":
            out[key] = _dump(sub, value, memo, fragments)
        elif kind == "list":
            if type(value) is not list:
                raise _Slow
            out[key] = [_dump(sub, v, memo, fragments) for v in value]
        else:
            raise _Slow
    return out


def wire(
    model: type[BaseModel],
    result: Any,
    body: dict[str, Any],
    memo: DumpMemo | None = None,
    fragments: bool = False,
) -> dict[str, Any]:
    """The answer's JSON: `result` (backend.results dataclasses) as `model` dumps it.

    A direct walk over the dataclasses gives the same dict as `model_validate(...,
    from_attributes=True).model_dump(mode="json", by_alias=True, exclude_none=True)` for the
    types the wire models use (str, int, nested models, lists of them), several times faster;
    anything else (a value of another type, a dict field) goes through pydantic. With
    `fragments` (and a memo), the shared parts are `orjson.Fragment`s (encoded by `render`).
    """
    try:
        dump = _dump(model, result, memo, fragments)
    except _Slow:
        dump = model.model_validate(result, from_attributes=True).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
    return {"caracteristiquesDemande": reading.echo(body), **dump}


def encode(document: Any, floats: bool = False) -> bytes:
    """`document`'s bytes as `JSONResponse.render` gives them. orjson spells some floats
    differently from Python (`1e16` vs `1e+16`): a document holding a float the client sent
    (`floats`) goes through json; so does whatever orjson refuses (an integer beyond 64 bits, a
    lone surrogate, a subclass of a JSON type, deep nesting)."""
    if not floats:
        try:
            return orjson.dumps(document, option=orjson.OPT_PASSTHROUGH_SUBCLASS)
        except TypeError:
            pass
    return json.dumps(
        document, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def render(
    model: type[BaseModel], result: Any, body: dict[str, Any], memo: DumpMemo, floats: bool
) -> tuple[dict[str, Any], bytes]:
    """The answer's document and bytes: with the shared parts as memoised fragments when the
    echo holds no float; whatever orjson then refuses is encoded from the plain document."""
    if not floats:
        try:
            document = wire(model, result, body, memo, fragments=True)
            return document, orjson.dumps(document, option=orjson.OPT_PASSTHROUGH_SUBCLASS)
        except TypeError:  # orjson refuses something (a big integer in the echo, a shared part)
            pass
    document = wire(model, result, body, memo)
    return document, encode(document, floats)
