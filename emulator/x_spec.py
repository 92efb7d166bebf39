"""The published X API v2 OpenAPI document (specs/x-api-v2.openapi.json, MIT, from
xdevplatform/xdk), read as JSON Schema: the emulator checks request bodies with it and the
conformance tests check its answers with it."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).parent / "specs" / "x-api-v2.openapi.json"
_URI = "urn:x-api-v2"


@functools.cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


def _as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` is `null` among the allowed types in JSON Schema."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _as_json_schema(value) for key, value in node.items()}
    if converted.pop("nullable", False) is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@functools.cache
def _registry() -> Registry[Any]:
    document = {"components": _as_json_schema(spec()["components"])}
    resource: Resource[Any] = DRAFT202012.create_resource(document)
    registry: Registry[Any] = Registry().with_resource(_URI, resource)
    return registry


@functools.cache
def validator(reference: str) -> Draft202012Validator:
    """A validator for a schema of the spec, by reference: `#/components/schemas/Post`."""
    return Draft202012Validator({"$ref": f"{_URI}{reference}"}, registry=_registry())


def schema_problems(reference: str, instance: Any) -> list[str]:
    """What is wrong with `instance`, worded as X words it: `$.path: message`."""
    return [
        f"{error.json_path}: {error.message}"
        for error in sorted(validator(reference).iter_errors(instance), key=lambda e: e.json_path)
    ]


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every (method, path, operation) of the spec."""
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield method.upper(), path, operation


def parameter_enum(method: str, path: str, name: str) -> frozenset[str]:
    """The values the spec allows for the query parameter `name` of one operation."""
    parameters = spec()["components"]["parameters"]
    for parameter in spec()["paths"][path][method.lower()].get("parameters", []):
        if "$ref" in parameter:
            parameter = parameters[parameter["$ref"].rsplit("/", 1)[1]]
        if parameter.get("name") == name:
            return frozenset(parameter["schema"].get("items", {}).get("enum", []))
    raise KeyError(f"{method} {path} has no parameter {name!r}")


def oauth_scopes() -> frozenset[str]:
    """The OAuth 2.0 scopes X defines (`OAuth2UserToken` security scheme)."""
    scheme = spec()["components"]["securitySchemes"]["OAuth2UserToken"]
    return frozenset(scheme["flows"]["authorizationCode"]["scopes"])
