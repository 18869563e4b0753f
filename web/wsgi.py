"""WSGI entry point for gunicorn (scale-out): ``gunicorn 'web.wsgi:app'``."""
from . import create_app

app = create_app()
if app.extensions["slm"].settings.embedded_runner:
    app.extensions["slm"].start_scheduler()
