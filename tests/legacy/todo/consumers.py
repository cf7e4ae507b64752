from channels.generic.websockets import WebsocketDemultiplexer

from todo.models import TaskBinding


class TaskDemultiplexer(WebsocketDemultiplexer):
    http_user = True
    groups = ["tasks"]
    consumers = {
        "tasks": TaskBinding.consumer,
    }
