"""HTTP endpoints for operators: ``healthz`` for load balancers and ``metrics`` for
Prometheus, both about the whole system as its Redis shows it."""

import json

from django.http import HttpResponse
from django.views.decorators.cache import never_cache

from . import metrics as _metrics
from .status import health


@never_cache
def healthz(request):
    """200 while Redis answers and every routed channel has a live worker, else 503
    with the reasons; the body is JSON."""
    healthy, problems = health()
    body = json.dumps({"healthy": healthy, "problems": problems})
    return HttpResponse(body, status=200 if healthy else 503, content_type="application/json")


@never_cache
def metrics(request):
    body, content_type = _metrics.render()
    return HttpResponse(body, content_type=content_type)
