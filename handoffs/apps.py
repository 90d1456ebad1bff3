from django.apps import AppConfig


class HandoffsConfig(AppConfig):
    name = "handoffs"

    def ready(self) -> None:
        from core.signals import business_calendar_changed

        from .services import pending_due_times_recount

        def recount(sender, **kwargs) -> None:
            pending_due_times_recount()

        # A calendar edit moves the deadlines of the handoffs still waiting (docs/rules.md §8).
        business_calendar_changed.connect(recount, dispatch_uid="handoffs.pending_due_times_recount", weak=False)
