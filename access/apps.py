from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Sign-in and second factors"

    def ready(self) -> None:
        from access import audit

        audit.connect()
