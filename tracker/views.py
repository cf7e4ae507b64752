"""The tracker's pages: home, accounts, chat, and the socket token the chat page fetches."""

import os

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from channels1.exceptions import REDIS_UNREACHABLE
from channels1.tokens import socket_token


def home(request):
    return render(request, "tracker/home.html")


def signup(request):
    """Creates an account from UserCreationForm, logs the new user in and goes home."""
    if request.method == "POST":
        form = UserCreationForm(request.POST)
        if form.is_valid():
            login(request, form.save())
            return redirect("home")
    else:
        form = UserCreationForm()
    return render(request, "registration/signup.html", {"form": form})


@never_cache
@require_GET
def ws_token(request):
    """A fresh single-use socket token for the logged-in user's session, as JSON; 403
    JSON (not a redirect to the login page, since scripts fetch it) for anyone else."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "login required"}, status=403)
    try:
        return JsonResponse({"token": socket_token(request)})
    except REDIS_UNREACHABLE:
        # Tokens live in Redis, as do the sockets they open: say so, and the page retries.
        return JsonResponse({"error": "live updates are unavailable while Redis does not answer"}, status=503)


@login_required
def chat_index(request):
    room = request.GET.get("room", "").strip()
    if room:
        return redirect("chat-room", room=room)
    return render(request, "tracker/chat_index.html")


@login_required
def chat_room(request, room):
    return render(request, "tracker/chat.html", {"room": room})


@login_required
def tailf(request):
    """The live log tail page: the configured files by id and base name only."""
    files = [(file_id, os.path.basename(path)) for file_id, path in sorted(settings.TAILF.items())]
    return render(request, "tracker/tailf.html", {"files": files})
