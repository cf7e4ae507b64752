// A chat room (chat.html). Frames in: {"you", "history": [line...]} on joining (again
// after each reconnect, so the log is rebuilt), a line {"id", "user", "message", "time"},
// {"present": [username...]} and {"error"}. Frames out: {"message"} and a ping
// {"action": "ping"} that keeps this socket listed as present.
(function () {
  const room = JSON.parse(document.getElementById("room-name").textContent);
  const log = document.getElementById("log");
  const present = document.getElementById("present");
  const input = document.getElementById("message");
  let me = null;

  function atBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  }
  function lineElement(line) {
    const item = document.createElement("p");
    item.className = "line" + (line.user === me ? " mine" : "");
    item.dataset.id = line.id;
    const time = document.createElement("time");
    time.dateTime = line.time;
    time.textContent = new Date(line.time).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
    time.title = new Date(line.time).toLocaleString();
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = line.user;
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = line.message;
    item.append(time, who, text);
    return item;
  }
  function show(element) {
    const follow = atBottom();
    log.append(element);
    if (follow) log.scrollTop = log.scrollHeight;
  }
  function showError(text) {
    const item = document.createElement("p");
    item.className = "line error";
    item.textContent = text;
    show(item);
  }
  function showPresent(names) {
    present.replaceChildren(...names.map((name) => {
      const item = document.createElement("li");
      item.textContent = name === me ? `${name} (you)` : name;
      return item;
    }));
  }
  const live = LiveSocket({
    path: `/ws/chat/${encodeURIComponent(room)}/`,
    status: document.getElementById("status"),
    ping: {action: "ping"},
    onMessage(data) {
      if (data.error) showError(data.error);
      else if (data.history) {
        // Lines of the room may overtake the history; keep those newer than it.
        me = data.you;
        const last = data.history.length ? data.history[data.history.length - 1].id : 0;
        const newer = [...log.querySelectorAll(".line[data-id]")].filter((line) => Number(line.dataset.id) > last);
        log.replaceChildren(...data.history.map(lineElement), ...newer);
        log.scrollTop = log.scrollHeight;
      } else if (data.present) showPresent(data.present);
      else if (data.message !== undefined) show(lineElement(data));
    },
  });
  function newNonce() {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  }
  const hint = document.getElementById("message-hint");
  function markBlank(blank) {
    if (blank) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    hint.hidden = !blank;
  }
  input.addEventListener("input", () => markBlank(false));
  document.getElementById("say").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!input.value.trim()) {
      markBlank(true);
      return;
    }
    markBlank(false);
    // The nonce makes the line stored once even if its frame is written twice.
    if (live.send({message: input.value, nonce: newNonce()})) input.value = "";
  });
})();
