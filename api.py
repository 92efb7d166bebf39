"""The API's entry point: `uvicorn api:app`."""

from app.api.main import create_app

app = create_app()
