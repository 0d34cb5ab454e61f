import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "knowflow.config.settings")
application = get_wsgi_application()
# Everything loaded so far (Django, the URL conf, the apps) lives as long as the process: move it
# out of the garbage collector's view so full collections during requests stay short.
gc.freeze()
