from django.urls import path

from . import views

urlpatterns = [
    path("chat/", views.chat_index, name="chat-index"),
    path("chat/<str:room>/", views.chat_room, name="chat-room"),
]
