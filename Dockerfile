FROM python:3.11-slim
WORKDIR /srv
COPY pyproject.toml README.md alembic.ini ./
COPY app app
COPY workflows workflows
COPY activities activities
COPY temporal temporal
# Sandbox mode (SANDBOX=true) runs the platform emulator beside the engine.
COPY emulator emulator
COPY api.py worker.py ./
RUN pip install --no-cache-dir . && useradd --system flowhold
USER flowhold
EXPOSE 8000
CMD ["uvicorn", "api:app", "--host", "0.0.0.0", "--port", "8000", "--no-access-log"]
