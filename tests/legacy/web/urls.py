from django.urls import re_path

from web import views

urlpatterns = [
    re_path(r"^echo/$", views.echo),
    re_path(r"^upload/$", views.upload),
    re_path(r"^download/$", views.download),
    re_path(r"^boom/$", views.boom),
    re_path(r"^later/$", views.later),
    re_path(r"^slow/$", views.slow),
]
