import hashlib
import json
import time

from channels import Channel
from channels.exceptions import ResponseLater
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

DOWNLOAD_PIECE = bytes(range(256)) * 256  # 64 KiB
DOWNLOAD_PIECES = 80  # 5 MiB


@csrf_exempt
def echo(request):
    return JsonResponse({
        "method": request.method,
        "path": request.path,
        "GET": {key: request.GET.getlist(key) for key in request.GET},
        "POST": {key: request.POST.getlist(key) for key in request.POST},
        "COOKIES": request.COOKIES,
        "user_agent": request.META.get("HTTP_USER_AGENT"),
    })


@csrf_exempt
def upload(request):
    uploaded = request.FILES["file"]
    data = uploaded.read()
    return JsonResponse({"name": uploaded.name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})


def download(request):
    pieces = (DOWNLOAD_PIECE for _ in range(DOWNLOAD_PIECES))
    return StreamingHttpResponse(pieces, content_type="application/octet-stream")


def boom(request):
    raise RuntimeError("this view always fails")


def later(request):
    # Answered by the respond-later consumer, once this consumer has returned.
    Channel("respond-later").send({"reply_channel": request.reply_channel.name, "text": request.GET.get("text", "")})
    raise ResponseLater()


def slow(request):
    time.sleep(float(request.GET.get("seconds", "1")))
    return HttpResponse(json.dumps({"slept": True}), content_type="application/json")
