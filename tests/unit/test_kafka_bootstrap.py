"""Several bootstrap brokers (a production cluster) reach the Kafka clients as several hosts."""

from __future__ import annotations

from shared.kafka import bootstrap_list, make_broker
from shared.settings import ServiceSettings


def test_comma_separated_bootstrap_servers_become_one_host_each() -> None:
    assert bootstrap_list("k1:9092, k2:9092,k3:9092,") == ["k1:9092", "k2:9092", "k3:9092"]


def test_the_broker_consumers_bootstrap_from_every_listed_host() -> None:
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers="k1:9092,k2:9092"), client_id="test")

    builders = [getattr(config, "builder", None) for config in broker.config.configs]
    hosts = [b.keywords["bootstrap_servers"] for b in builders if b is not None]

    assert hosts == [["k1:9092", "k2:9092"]]
