"""The Kafka topics of the system: who writes them is in the README's flow map."""

from __future__ import annotations

from dataclasses import dataclass

COMPANY_RECORDS = "company.records"
COMPANY_SYNC_STATUS = "company.sync-status"
TASKS_EVENTS = "tasks.events"
ACCESS_EVENTS = "access.events"
SYNC_COMMANDS = "sync.commands"
CLIENT_CONNECTIONS = "client.connections"
"""Sync's answers to client registrations (keyed by connection id), read by the gateway."""

CONSUMED_TOPICS = (
    COMPANY_RECORDS,
    COMPANY_SYNC_STATUS,
    TASKS_EVENTS,
    ACCESS_EVENTS,
    SYNC_COMMANDS,
    CLIENT_CONNECTIONS,
)


def dead_letter_topic(topic: str) -> str:
    """The dead-letter topic where poison events of `topic` are parked with their reason."""
    return f"{topic}.dlq"


@dataclass(frozen=True)
class TopicSpec:
    """A topic to create: its name and partition count."""

    name: str
    partitions: int


def project_topics(partitions: int, dead_letter_partitions: int = 1) -> list[TopicSpec]:
    """Every topic the system uses, each consumed topic with its dead-letter twin."""
    specs = [TopicSpec(name, partitions) for name in CONSUMED_TOPICS]
    specs += [TopicSpec(dead_letter_topic(name), dead_letter_partitions) for name in CONSUMED_TOPICS]
    return specs
