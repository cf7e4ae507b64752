from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from chat.models import ChatMessage


def index(request):
    return render(request, "chat/index.html")


@login_required
def room(request, room):
    messages = ChatMessage.objects.filter(room=room).order_by("-created")[:50]
    return render(request, "chat/room.html", {"room": room, "messages": reversed(messages)})
