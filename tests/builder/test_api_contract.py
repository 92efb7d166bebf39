"""The builder's typed client is generated from builder/openapi.json (`npm run gen:api`);
that file must be the API's own document, or the client would call an API that is not
there. When the API changes on purpose: `make builder-api` writes the file and the types."""

from __future__ import annotations

import json

from app.api.main import create_app
from app.settings import Settings
from tests.test_launcher import ROOT

SNAPSHOT = ROOT / "builder" / "openapi.json"


def test_the_builders_openapi_snapshot_is_the_apis_document() -> None:
    served = create_app(Settings(environment="test")).openapi()
    committed = json.loads(SNAPSHOT.read_text())
    assert committed == json.loads(json.dumps(served)), (
        "the API's OpenAPI document changed: run `make builder-api` and commit the result"
    )
