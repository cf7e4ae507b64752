"""The tracker's pages."""

from django.shortcuts import redirect, render


def chat_index(request):
    room = request.GET.get("room", "").strip()
    if room:
        return redirect("chat-room", room=room)
    return render(request, "tracker/chat_index.html")


def chat_room(request, room):
    return render(request, "tracker/chat.html", {"room": room})
