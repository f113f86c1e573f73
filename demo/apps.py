from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Seeding the demo world (`manage.py demo_setup`). Nothing imports it: it uses the product as staff would."""

    name = "demo"
    verbose_name = "Demo world"
