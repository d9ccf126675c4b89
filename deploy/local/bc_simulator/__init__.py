"""A local stand-in for the Dynamics 365 Business Central API v2.0 (tests, benchmarks, demo)."""

from .app import create_app
from .books import SimulatedBooks, generate_books
from .settings import SimulatorSettings
from .state import SimulatorState

__all__ = ["SimulatedBooks", "SimulatorSettings", "SimulatorState", "create_app", "generate_books"]
