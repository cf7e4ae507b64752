"""The tracker's pages: home, accounts, chat, alerts, the log tail, and the socket
token the pages fetch."""

import os

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from channels1.exceptions import REDIS_UNREACHABLE
from channels1.tokens import socket_token

from . import alerts, presence
from .models import ChatMessage, may_view_logs


def home(request):
    return render(request, "tracker/home.html")


def signup(request):
    """Creates an account from UserCreationForm, logs the new user in and goes home;
    404 when TRACKER_SIGNUP_OPEN is off."""
    if not settings.TRACKER_SIGNUP_OPEN:
        raise Http404("Sign-up is closed; ask an administrator for an account.")
    if request.method == "POST":
        form = UserCreationForm(request.POST)
        if form.is_valid():
            login(request, form.save())
            messages.success(request, f"Welcome, {request.user.get_username()}.")
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
    """The rooms: where people are now, then where they talked lately; or join one."""
    room = request.GET.get("room", "").strip()
    if room:
        return redirect("chat-room", room=room)
    talked = [row["room"] for row in
              ChatMessage.objects.values("room").annotate(last=Max("created")).order_by("-last")[:50]]
    try:
        names = list(dict.fromkeys([*presence.active_rooms(), *talked]))
        rooms = [(name, presence.present(name)) for name in names]
    except REDIS_UNREACHABLE:
        # Presence lives in Redis; the rooms people talked in are still listed.
        return render(request, "tracker/chat_index.html", {"rooms": [(name, None) for name in talked],
                                                           "presence_unavailable": True})
    rooms.sort(key=lambda room: not room[1])  # rooms with people first, stable otherwise
    return render(request, "tracker/chat_index.html", {"rooms": rooms})


@login_required
def chat_room(request, room):
    return render(request, "tracker/chat.html", {"room": room})


@login_required
def alert_list(request):
    """The latest alerts, unread ones marked; seeing the list marks them read."""
    recent = alerts.recent(request.user)
    alerts.mark_seen(request.user)
    return render(request, "tracker/alert_list.html", {"alerts": recent})


@never_cache
@require_GET
def alerts_json(request):
    """The latest alerts and the unread count, for the map's list after a (re)load."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "login required"}, status=403)
    return JsonResponse({"alerts": alerts.recent(request.user), "unread": alerts.unread_count(request.user)})


@require_POST
def alerts_seen(request):
    if not request.user.is_authenticated:
        return JsonResponse({"error": "login required"}, status=403)
    alerts.mark_seen(request.user)
    return JsonResponse({"unread": 0})


@login_required
def tailf(request):
    """The live log tail page, for users who may view logs: the configured files by
    id and base name only."""
    if not may_view_logs(request.user):
        raise PermissionDenied("Following the server's logs needs the “view logs” permission.")
    files = [(file_id, os.path.basename(path)) for file_id, path in sorted(settings.TAILF.items())]
    return render(request, "tracker/tailf.html", {"files": files})
