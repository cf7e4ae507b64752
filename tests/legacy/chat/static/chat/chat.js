// The room page: one socket to /chat/<room>/, each message a line.
document.addEventListener("DOMContentLoaded", function () {
    var room = document.body.dataset.room;
    if (!room) {
        return;
    }
    var socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/chat/" + room + "/");
    socket.onmessage = function (event) {
        var data = JSON.parse(event.data);
        var line = document.createElement("li");
        line.textContent = data.user + ": " + data.text;
        document.getElementById("messages").appendChild(line);
    };
    document.getElementById("chat").addEventListener("submit", function (event) {
        event.preventDefault();
        socket.send(this.text.value);
        this.text.value = "";
    });
});
