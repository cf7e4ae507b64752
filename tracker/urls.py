from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("ws-token/", views.ws_token, name="ws-token"),
    path("chat/", views.chat_index, name="chat-index"),
    path("chat/<str:room>/", views.chat_room, name="chat-room"),
]
