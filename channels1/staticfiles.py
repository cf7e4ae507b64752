"""`StaticFilesConsumer`: the ``http.request`` consumer that serves ``STATIC_URL``
from the static files finders (as ``runserver`` does) and every other path through
the Django views, in a worker."""

from urllib.parse import urlparse
from urllib.request import url2pathname

from django.conf import settings
from django.contrib.staticfiles.views import serve
from django.core.handlers.exception import response_for_exception
from django.http import Http404

from .handler import AsgiHandler, ViewConsumer

__all__ = ["StaticFilesConsumer", "StaticFilesHandler"]


class StaticFilesHandler(AsgiHandler):
    """An AsgiHandler that answers paths under a local ``STATIC_URL`` with the
    static file itself (404 when no finder has it)."""

    def __init__(self):
        super().__init__()
        self.base_url = urlparse(settings.STATIC_URL or "")

    def _should_handle(self, path):
        return bool(self.base_url.path) and path.startswith(self.base_url.path) and not self.base_url.netloc

    def file_path(self, url):
        return url2pathname(url[len(self.base_url.path):])

    def get_response(self, request):
        if self._should_handle(request.path):
            try:
                return serve(request, self.file_path(request.path), insecure=True)
            except Http404 as error:
                return response_for_exception(request, error)
        return super().get_response(request)


class StaticFilesConsumer(ViewConsumer):
    """ViewConsumer that serves static files too (``route("http.request",
    StaticFilesConsumer())``)."""

    handler_class = StaticFilesHandler
