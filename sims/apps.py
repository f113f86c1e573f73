from django.apps import AppConfig


class SimsConfig(AppConfig):
    name = "sims"
    verbose_name = "SIMs"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from ops import selftest
        from sims import selectors, tasks
        from sims.services.followup import state_counts_rebuild

        tasks.register_lanes()  # the worker's follower serves the gateway work of every app
        selftest.held_from(selectors.sims_held)  # the selftest asks aql about one; go-live counts them
        post_migrate.connect(state_counts_rebuild, sender=self, dispatch_uid="sims-state-counts")
