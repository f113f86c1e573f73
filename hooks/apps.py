from django.apps import AppConfig


class HooksConfig(AppConfig):
    name = "hooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from hooks import tasks

        tasks.register_lanes()  # the follower sends webhooks beside the gateway work
