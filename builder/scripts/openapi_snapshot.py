"""Print the API's OpenAPI document (what `GET /openapi.json` serves), for builder/openapi.json.

The builder's typed client is generated from that file; tests/builder/test_api_contract.py
fails when the API and the file part ways.
"""

from __future__ import annotations

import json
import sys

from app.api.main import create_app
from app.settings import Settings


def main() -> None:
    document = create_app(Settings(environment="test")).openapi()
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
