// The task list: changes arrive on the "tasks" stream of /tasks/, new tasks go out on it.
document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("tasks");
    var bridge = new channels.WebSocketBridge();
    bridge.connect("/tasks/");
    bridge.socket.addEventListener("open", function () {
        document.getElementById("status").textContent = "live";
    });
    bridge.demultiplex("tasks", function (payload) {
        var item = list.querySelector('li[data-pk="' + payload.pk + '"]');
        if (payload.action === "delete") {
            if (item) {
                item.remove();
            }
            return;
        }
        if (!item) {
            item = document.createElement("li");
            item.dataset.pk = payload.pk;
            list.appendChild(item);
        }
        item.textContent = payload.data.title;
        item.classList.toggle("done", payload.data.done);
    });
    document.getElementById("new-task").addEventListener("submit", function (event) {
        event.preventDefault();
        bridge.stream("tasks").send({action: "create", data: {title: this.title.value}});
        this.title.value = "";
    });
});
