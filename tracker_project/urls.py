"""URL routes of the tracker project."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from channels1 import views as channels1_views
from tracker import views as tracker_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", channels1_views.healthz, name="healthz"),
    path("metrics", channels1_views.metrics, name="metrics"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", tracker_views.signup, name="signup"),
    path("", include("tracker.urls")),
]
