"""A test that moves the Celery app to another broker leaves it able to publish on the first one afterwards (the
worker-kill test did not: the full PostgreSQL + Redis run then failed with "Acquire on closed pool")."""

from coverage_console.celery import app
from tests.celery_broker.brokers import use_broker


def test_the_first_broker_works_again_after_a_switch_and_back():
    previous = app.conf.broker_url
    try:
        use_broker(app, "memory://first/")
        with app.pool.acquire(block=False) as connection:
            connection.default_channel  # the pool hands out a live connection
        use_broker(app, "memory://second/")
        with app.pool.acquire(block=False):
            pass
        use_broker(app, "memory://first/")
        with app.pool.acquire(block=False) as connection:
            connection.default_channel
        with app.producer_pool.acquire(block=False):
            pass
    finally:
        use_broker(app, previous)
