from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders and stock"

    def ready(self) -> None:
        from orders import tasks

        tasks.register_lanes()  # the worker's follower serves the gateway work of every app
