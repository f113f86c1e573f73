from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = "Single sign-on"

    def ready(self) -> None:
        from allauth.account.signals import user_logged_in

        from sso import adapter

        # allauth tells of a completed sign-in by signal (with the provider's answer): the session
        # is the signed-in one only from then on, so the second-factor flag is written there.
        user_logged_in.connect(adapter.signed_in, dispatch_uid="sso-signed-in")
