"""`python -m emulator --host 127.0.0.1 --port 8900`: the emulator on its own, for the
sandbox and for trying workflows without posting for real. It seeds a demo X user and a demo
Instagram account and prints their tokens."""

from __future__ import annotations

import argparse
import contextlib
import socket
import sys
from typing import Any

import uvicorn

from emulator import control
from emulator.app import create_app
from emulator.config import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, TIERS, EmulatorConfig
from emulator.state import EmulatorState

DEMO_X_USER = "demo"
DEMO_INSTAGRAM_USER = "demo.sandbox"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=8900, help="port to listen on")
    parser.add_argument(
        "--x-tier", choices=sorted(TIERS), default="pro", help="X API access tier (rate limits)"
    )
    return parser.parse_args(argv)


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    # Listening before the banner is printed: a client reading it can connect at once (its
    # connection waits in the backlog until uvicorn accepts).
    sock.listen()
    return sock


def _seed(state: EmulatorState, url: str, config: EmulatorConfig) -> str:
    x = control.add_x_user(state, DEMO_X_USER, name="Demo User")
    media_id = control.add_x_media(state, DEMO_X_USER)
    instagram = control.add_instagram_user(state, DEMO_INSTAGRAM_USER)
    rows: list[tuple[str, Any]] = [
        ("X API base URL", f"{url}  (tweepy: send https://api.twitter.com here)"),
        ("Instagram Graph base URL", f"{url}/v21.0"),
        ("Control API", f"{url}/_emulator/docs"),
        ("X rate limits", f"{config.x_tier.name} tier"),
        ("OAuth 2.0 client", f"{SANDBOX_CLIENT_ID} / {SANDBOX_CLIENT_SECRET}"),
        ("Meta app secret", config.meta_app_secret),
        (f"X user @{DEMO_X_USER}", f"id {x.user_id}"),
        ("  access token", x.access_token),
        ("  refresh token", x.refresh_token),
        ("  uploaded media id", media_id),
        (f"Instagram account {DEMO_INSTAGRAM_USER}", f"id {instagram.ig_user_id}"),
        ("  access token", instagram.access_token),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"Flowhold platform emulator on {url}"]
    lines += [f"  {name.ljust(width)}  {value}" for name, value in rows]
    lines.append("Ctrl-C stops it.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    try:
        sock = _listen(arguments.host, arguments.port)
    except OSError as error:
        print(
            f"emulator: cannot listen on {arguments.host}:{arguments.port} ({error.strerror}); "
            "choose another with --port",
            file=sys.stderr,
        )
        return 2
    config = EmulatorConfig(x_tier=TIERS[arguments.x_tier])
    app = create_app(config)
    host = f"[{arguments.host}]" if ":" in arguments.host else arguments.host
    print(_seed(app.state.emulator, f"http://{host}:{arguments.port}", config), flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    # uvicorn shuts down on Ctrl-C, then passes it on: stopping is what was asked for.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
