from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConferencesConfig(AppConfig):
    name = "conferences"
    verbose_name = _("Conferences")

    def ready(self):
        # Private calendar feed paths carry a token: mask it in Django's request logs.
        from conferences.calendar_views import install_log_filters

        install_log_filters()
        # Escalated district issues are proposed for the parent area's next meeting.
        import conferences.escalation  # noqa: F401
