from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from chat import views
from todo import views as todo_views

urlpatterns = [
    re_path(r"^$", views.index, name="index"),
    re_path(r"^chat/(?P<room>[a-zA-Z0-9_]+)/$", views.room, name="room"),
    re_path(r"^tasks/$", todo_views.tasks, name="tasks"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("admin/", admin.site.urls),
    path("web/", include("web.urls")),
]
