"""`python -m deploy.local.bc_simulator`: serve generated books on `BC_SIM_HOST:BC_SIM_PORT`."""

from __future__ import annotations

from datetime import UTC, datetime

import uvicorn

from .app import create_app
from .books import generate_books
from .settings import SimulatorSettings


def main() -> None:
    """Generate the books for today from the settings and serve them with uvicorn."""
    settings = SimulatorSettings()
    books = generate_books(
        settings.seed, settings.tenants, settings.companies_per_tenant, datetime.now(UTC).date()
    )
    uvicorn.run(create_app(books, settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
