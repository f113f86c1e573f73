"""The notifications' services: preferences, building notices from what is recorded, and email."""

from notices.services.build import notices_build, notices_prune
from notices.services.mail import notices_send_due
from notices.services.prefs import notice_mark_read, preferences_for, preferences_save

__all__ = ["notice_mark_read", "notices_build", "notices_prune", "notices_send_due", "preferences_for",
           "preferences_save"]
