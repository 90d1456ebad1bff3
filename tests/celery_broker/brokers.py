"""Pointing this process's Celery app at another broker for one test, and back."""

from __future__ import annotations

from kombu import pools


def use_broker(app, url: str) -> None:
    """Point the app at `url`. Its connection and producer pools keep the URL they were made with, and kombu keeps
    every pool in a process-wide registry keyed by the connection: closing the app's pool alone would leave that
    closed pool registered, and the next test to publish on the same URL would get it back ("Acquire on closed
    pool"). So the registry is emptied with the pools."""
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url
