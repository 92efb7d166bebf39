"""The worker's entry point: `python worker.py`."""

import asyncio

from app.logs import configure_logging
from app.services.error_workflows import engine_activities
from app.settings import get_settings
from app.traces import configure_tracing
from temporal.worker import run_worker

if __name__ == "__main__":
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    configure_tracing("flowhold-worker")
    asyncio.run(run_worker(settings, engine_activities))
