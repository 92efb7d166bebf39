"""The worker's entry point: `python worker.py`."""

import asyncio
import logging

from app.services.error_workflows import engine_activities
from app.settings import get_settings
from temporal.worker import run_worker

if __name__ == "__main__":
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(run_worker(settings, engine_activities))
