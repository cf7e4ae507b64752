from django.contrib import admin

from todo.models import Task

admin.site.register(Task)
