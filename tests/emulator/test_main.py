"""`python -m emulator`: one command starts the emulator with demo accounts."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys
from pathlib import Path

from emulator.testing import http_client
from tests.utils.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


async def test_the_command_prints_its_url_and_demo_tokens_that_work() -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "emulator", "--port", str(port), "--x-tier", "basic",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        async with asyncio.timeout(30):
            printed = (await process.stdout.readuntil(b"Ctrl-C stops it.")).decode()
            url = f"http://127.0.0.1:{port}"
            assert f"Flowhold platform emulator on {url}" in printed
            x_token = re.search(r"X user @demo .*\n\s+access token\s+(\S+)", printed)
            ig_token = re.search(
                r"Instagram account demo\.sandbox .*\n\s+access token\s+(\S+)", printed
            )
            assert x_token is not None
            assert ig_token is not None
            async with http_client(url) as client:
                me = await client.get(
                    "/2/users/me", headers={"Authorization": f"Bearer {x_token[1]}"}
                )
                account = await client.get(
                    "/v21.0/me", params={"access_token": ig_token[1], "fields": "username"}
                )
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = await process.communicate()

    assert me.json()["data"]["username"] == "demo"
    assert me.headers["x-rate-limit-limit"] == "75"
    assert account.json()["username"] == "demo.sandbox"
    assert process.returncode == 0
    assert b"Traceback" not in errors


async def test_a_busy_port_is_one_line_naming_the_option() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "emulator", "--port", str(port),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        stdout, stderr = await process.communicate()

    assert process.returncode == 2
    assert stdout == b""
    [line] = stderr.decode().splitlines()
    assert line.startswith(f"emulator: cannot listen on 127.0.0.1:{port}")
    assert line.endswith("choose another with --port")
