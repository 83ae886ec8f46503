"""A Celery worker's process keeps its database connection between tasks (WORKER_CONN_MAX_AGE),
while the web server's setting stays 0 (ASGI threads never reuse one) or pooled."""

import copy

from celery.signals import worker_process_init
from django.conf import settings
from django.test import override_settings

import portal.celery  # noqa: F401  (connects the handler)


def test_a_worker_process_keeps_its_connection_between_tasks_but_a_pool_is_left_alone():
    saved = copy.deepcopy(settings.DATABASES)
    try:
        settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
        settings.DATABASES["pooled"] = {"OPTIONS": {"pool": {"max_size": 4}}, "CONN_MAX_AGE": 0}
        with override_settings(WORKER_CONN_MAX_AGE=123):
            worker_process_init.send(sender=None)
        assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 123
        assert settings.DATABASES["pooled"]["CONN_MAX_AGE"] == 0
    finally:
        settings.DATABASES.clear()
        settings.DATABASES.update(saved)


def test_the_worker_keeps_connections_five_minutes_by_default():
    assert settings.WORKER_CONN_MAX_AGE == 300
