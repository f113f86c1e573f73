from django.apps import AppConfig


class SimsConfig(AppConfig):
    name = "sims"
    verbose_name = "SIMs"

    def ready(self) -> None:
        from sims import checks  # noqa: F401  (registers the system checks)
