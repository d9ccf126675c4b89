"""`make run`: the whole system on this machine with sample books, until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from pathlib import Path

from deploy.local.stack import SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD, StackOptions, start_stack


def main(argv: list[str] | None = None) -> int:
    """Start everything, print where to look, stop everything on Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work-dir", type=Path, default=None, help="logs and data (default: a new temp dir)")
    parser.add_argument("--tenants", type=int, default=3, help="sample clients")
    parser.add_argument("--companies-per-tenant", type=int, default=2)
    args = parser.parse_args(argv)
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="accountant-hub-"))
    print(f"Starting Kafka, MongoDB, the Business Central stand-in and four services in {work_dir} ...")
    stack = start_stack(
        work_dir, StackOptions(tenants=args.tenants, companies_per_tenant=args.companies_per_tenant)
    )
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    print(
        f"\nAccountant Hub is running.\n"
        f"  Web page:     {stack.gateway_url}/\n"
        f"  Sign in as:   {SAMPLE_ACCOUNTANT} / {SAMPLE_PASSWORD}\n"
        f"  API docs:     {stack.gateway_url}/docs\n"
        f"  BC stand-in:  {stack.simulator_url}/_simulator/companies (change an invoice: see README)\n"
        f"  Logs:         {work_dir / 'logs'}\n"
        f"Press Ctrl-C to stop everything.",
        flush=True,
    )
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping ...", flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
