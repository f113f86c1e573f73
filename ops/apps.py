from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Running it: the worker, health, metrics, logs"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from ops import checks, heartbeat  # noqa: F401  (checks registers the system checks)

        post_spawn.connect(heartbeat.worker_started, dispatch_uid="worker-started")
