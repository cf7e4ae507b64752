from django.db import models

from channels.binding.websockets import WebsocketBinding

PERMISSIONS = {"create": "todo.add_task", "update": "todo.change_task", "delete": "todo.delete_task"}


class Task(models.Model):
    title = models.CharField(max_length=200)
    done = models.BooleanField(default=False)

    def __str__(self):
        return self.title


class TaskBinding(WebsocketBinding):
    """Every change to a task reaches the sockets of the task list; they create,
    update and delete tasks with the model permissions of their user."""

    model = Task
    stream = "tasks"
    fields = ["title", "done"]

    @classmethod
    def group_names(cls, instance):
        return ["tasks"]

    def has_permission(self, user, action, pk):
        return user.has_perm(PERMISSIONS[action])
