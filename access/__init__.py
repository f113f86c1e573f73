"""Who is at the door: sign-in (django-allauth's), the second factor (allauth.mfa) our roles require,
its audit trail, and the re-check some actions ask for."""
