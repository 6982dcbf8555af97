"""Start the simulator standalone: `python -m hashtag_tracker_tools.simulator --port 8765`."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Sequence

from hashtag_tracker_tools.simulator.server import Simulator


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Offline Scavio TikTok API simulator")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--rate-limit", type=int, default=None, help="calls per minute (5, 10)")
    parser.add_argument("--time-scale", type=float, default=1.0, help="60: a minute lasts 1 s")
    parser.add_argument("--api-key", default=None, help="the key clients must send")
    parser.add_argument("--credits", type=int, default=200_000, help="the plan's allowance")
    parser.add_argument("--plan", default="simulated", help="plan name GET /api/v1/usage tells")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    simulator = Simulator(
        api_key=args.api_key,
        port=args.port,
        rate_limit_per_minute=args.rate_limit,
        time_scale=args.time_scale,
        credits=args.credits,
        plan=args.plan,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with simulator:
        sys.stdout.write(
            f"TikTok simulator at {simulator.base_url}\n"
            f"API key: {simulator.api_key}\n"
            f"Truth: GET {simulator.base_url}/_sim/truth · faults: POST /_sim/faults · "
            f'clock: POST /_sim/clock {{"advance_hours": 6}}\n'
        )
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
