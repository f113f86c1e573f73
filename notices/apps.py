from django.apps import AppConfig


class NoticesConfig(AppConfig):
    """Notifications: what each person asked to hear about, in the site and by email, built by the worker
    from what is already recorded (the outbox and the journal)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "notices"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from notices import checks  # noqa: F401  (registers the deployment check)
