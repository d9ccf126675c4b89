"""What every route needs, built once per app by `create_app` and injected per request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from .auth import TokenIssuer
from .mutator import Mutator
from .notifier import Webhooks
from .settings import SimulatorSettings
from .state import SimulatorState
from .throttle import Throttle


@dataclass(frozen=True)
class Simulator:
    """One running simulator: its store, token issuer, settings, limits, webhooks and mutator."""

    state: SimulatorState
    issuer: TokenIssuer
    settings: SimulatorSettings
    throttle: Throttle
    webhooks: Webhooks
    mutator: Mutator


def get_simulator(request: Request) -> Simulator:
    """The simulator of the app serving this request."""
    simulator = request.app.state.simulator
    if not isinstance(simulator, Simulator):
        raise TypeError("create_app() did not attach a Simulator to app.state")
    return simulator


SimulatorDep = Annotated[Simulator, Depends(get_simulator)]
