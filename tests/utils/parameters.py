"""What a node type's parameter model says about parameters it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.language.node_type import Parameters
from app.language.parameter_validators import Location


def errors(model: type[Parameters], parameters: dict[str, Any]) -> list[tuple[Location, str]]:
    """(loc, message) of every problem; fails the test when the parameters are valid."""
    with pytest.raises(ValidationError) as info:
        model.model_validate(parameters)
    return [(tuple(error["loc"]), error["msg"]) for error in info.value.errors(include_url=False)]


def locs(model: type[Parameters], parameters: dict[str, Any]) -> list[Location]:
    """The loc of every problem; fails the test when the parameters are valid."""
    return [loc for loc, _ in errors(model, parameters)]
