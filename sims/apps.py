from django.apps import AppConfig


class SimsConfig(AppConfig):
    name = "sims"
    verbose_name = "SIMs"

    def ready(self) -> None:
        from sims import tasks

        tasks.register_lanes()  # the worker's follower serves the gateway work of every app
