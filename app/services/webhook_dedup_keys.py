"""A webhook trigger's `dedup_key`: the value its expression gives a delivery, as the digest
the database keeps (`app.store.webhooks.claim_key`).

The expression reads the delivery as the run would see it (`trigger`: method, headers
without any secret, query, body), with the language's own evaluator and one node's
allowance of work. A key that is null means the delivery has none (Meta sends other changes
to the same URL): it starts its run without this check. An expression that fails on a
delivery is the sender's problem to see, so it is a 422 naming the trigger and the failure,
never the delivery's values.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.errors import ErrorDetail, InvalidInputError
from app.language.expressions import ExpressionError, Meter, compile_expression

_DOMAIN = b"flowhold webhook dedup key\n"


def dedup_key_digest(source: str, payload: Any, *, node_id: str) -> str | None:
    """The digest of the key `source` gives the delivery `payload`; None when it is null.

    Raises:
        InvalidInputError: The expression failed on this delivery.
    """
    try:
        value = compile_expression(source).evaluate({"trigger": payload}, meter=Meter())
    except ExpressionError as error:
        raise InvalidInputError(
            f"the webhook trigger's dedup_key failed on this delivery: {error.message}",
            [
                ErrorDetail(
                    f"dedup_key failed: {error.message}",
                    path=("parameters", "dedup_key"),
                    node_id=node_id,
                    code="dedup_key_failed",
                )
            ],
        ) from None
    if value is None:
        return None
    # One spelling per JSON value: an object's keys in any order are one key.
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(_DOMAIN + canonical.encode()).hexdigest()
