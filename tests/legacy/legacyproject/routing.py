from channels.routing import include, route, route_class
from channels.staticfiles import StaticFilesConsumer

from chat.consumers import echo, msg_consumer, ws_connect, ws_disconnect, ws_message
from todo.consumers import TaskDemultiplexer
from web.consumers import client_left, respond_later

chat_routing = [
    route("websocket.connect", ws_connect),
    route("websocket.receive", ws_message),
    route("websocket.disconnect", ws_disconnect),
]

channel_routing = [
    include(chat_routing, path=r"^/chat/(?P<room>[a-zA-Z0-9_]+)/$"),
    route("websocket.receive", echo, path=r"^/echo/$"),
    route("chat-messages", msg_consumer),
    route_class(TaskDemultiplexer, path=r"^/tasks/$"),
    route("http.request", StaticFilesConsumer()),
    route("http.disconnect", client_left),
    route("respond-later", respond_later),
]
