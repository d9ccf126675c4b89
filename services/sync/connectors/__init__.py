"""Connectors to client accounting systems, each behind the `Connector` protocol."""
