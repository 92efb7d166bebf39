"""The data converter of every client and worker: temporalio's pydantic JSON (plans, states
and actions' inputs are pydantic models), with one JSON converter per process.

The SDK makes a new payload converter for every workflow it runs and for every activation and
activity it serializes for (a data converter given a serialization context), and
temporalio's pydantic converter builds a serializer and an empty cache of type adapters
each time: ~0.9 ms of a short run's worker CPU (`bench.worker_cpu --profile`), and the type
adapters of a run's models built again in every run. That JSON converter keeps no state but
the cache of type adapters and has no serialization context of its own, so one serves all.
"""

from __future__ import annotations

from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, PydanticPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)

_JSON = PydanticJSONPlainPayloadConverter()


class SharedPydanticPayloadConverter(PydanticPayloadConverter):
    """`PydanticPayloadConverter` over the process's one pydantic JSON converter."""

    def __init__(self) -> None:
        CompositePayloadConverter.__init__(
            self,
            *(
                _JSON if isinstance(converter, JSONPlainPayloadConverter) else converter
                for converter in DefaultPayloadConverter.default_encoding_payload_converters
            ),
        )


DATA_CONVERTER = DataConverter(payload_converter_class=SharedPydanticPayloadConverter)
