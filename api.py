"""The API's entry point: `uvicorn api:app`."""

from app.api.main import create_app
from app.logs import configure_logging
from app.settings import get_settings
from app.traces import configure_tracing

_settings = get_settings()
# Here and not in create_app: tests build many apps in one process, with pytest's logging.
configure_logging(_settings.log_level, _settings.log_format)
configure_tracing("flowhold-api")
app = create_app(_settings)
