from django.shortcuts import render

from todo.models import Task


def tasks(request):
    return render(request, "todo/tasks.html", {"tasks": Task.objects.order_by("pk")})
