from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Shared plumbing"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from common import signins, web

        user_logged_in.connect(signins.signed_in, dispatch_uid="audit-signed-in")
        user_logged_in.connect(web.session_renewed, dispatch_uid="session-renewed-at-sign-in")
        user_login_failed.connect(signins.sign_in_failed, dispatch_uid="audit-sign-in-failed")
