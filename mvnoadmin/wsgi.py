"""WSGI entry point (gunicorn mvnoadmin.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mvnoadmin.settings")
application = get_wsgi_application()
