// The live log tail (tailf.html). The socket is /ws/tailf/<id>/ for the selected file;
// close codes 4404: no such log file, 4003: not allowed to follow logs.
// Frames in: {"lines": [...], "initial"?}, {"stopped": reason} or {"error": text}.
// Frames out: {"action": "start" | "stop" | "ping"}.
// The page keeps at most MAX_LINES lines; scrolled up (or paused) it stops following
// and counts the new lines; Start after Stop adds only the lines not on screen yet.
(function () {
  const MAX_LINES = 5000;
  const log = document.getElementById("log");
  const select = document.getElementById("file");
  const filter = document.getElementById("filter");
  const followButton = document.getElementById("follow");
  const newLines = document.getElementById("new-lines");
  const lineCount = document.getElementById("line-count");
  document.getElementById("line-cap").textContent = MAX_LINES;
  let fileId = null;  // the file of the current socket
  let following = true, unseen = 0;

  function atBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 30;
  }
  function matches(text) {
    const wanted = filter.value.trim().toLowerCase();
    return !wanted || text.toLowerCase().includes(wanted);
  }
  function lineElement(text) {
    const line = document.createElement("div");
    line.textContent = text;
    if (!matches(text)) line.className = "hidden";
    return line;
  }
  function screenLines() {
    return Array.from(log.children, (line) => line.textContent);
  }
  // The lines of an initial batch that are not already the last ones on screen.
  function notOnScreen(initial) {
    const screen = screenLines();
    for (let overlap = Math.min(initial.length, screen.length); overlap > 0; overlap--) {
      const tail = screen.slice(screen.length - overlap);
      if (tail.every((text, index) => text === initial[index])) return initial.slice(overlap);
    }
    return null;  // nothing in common: the file moved on too far, or it is another file
  }
  function updateNewLines() {
    newLines.hidden = !unseen;
    newLines.textContent = `${unseen} new line${unseen === 1 ? "" : "s"} ↓`;
  }
  function show(lines) {
    const stick = following && atBottom();
    log.append(...lines.map(lineElement));
    const excess = log.children.length - MAX_LINES, height = log.scrollHeight;
    for (let index = 0; index < excess; index++) log.firstElementChild.remove();
    if (!stick) log.scrollTop -= height - log.scrollHeight;  // what is in view stays in view
    lineCount.textContent = log.children.length;
    if (stick) log.scrollTop = log.scrollHeight;
    else {
      unseen += lines.length;
      updateNewLines();
    }
  }
  function catchUp() {
    unseen = 0;
    updateNewLines();
    log.scrollTop = log.scrollHeight;
  }
  const live = LiveSocket({
    path() {
      fileId = select.value;
      return `/ws/tailf/${encodeURIComponent(fileId)}/`;
    },
    status: document.getElementById("status"),
    onMessage(data) {
      if (data.error) show(["! " + data.error]);
      else if (data.stopped) live.setStatus(data.stopped);
      else if (data.lines) {
        if (!data.initial || !log.children.length) show(data.lines);
        else {
          const fresh = notOnScreen(data.lines);
          if (fresh === null) show(["———", ...data.lines]);
          else if (fresh.length) show(fresh);
        }
      }
    },
    stopOn: {4404: "no such log file", 4003: "you may not follow the server's logs"},
    ping: {action: "ping"},
  });
  document.getElementById("start").addEventListener("click", () => {
    if (fileId === select.value && live.send({action: "start"})) live.setStatus("live", "live");
    else live.connect();
  });
  document.getElementById("stop").addEventListener("click", () => live.send({action: "stop"}));
  document.getElementById("clear").addEventListener("click", () => {
    log.replaceChildren();
    lineCount.textContent = 0;
    catchUp();
  });
  followButton.addEventListener("click", () => {
    following = !following;
    followButton.textContent = following ? "Pause" : "Follow";
    followButton.setAttribute("aria-pressed", String(following));
    if (following) catchUp();
  });
  newLines.addEventListener("click", catchUp);
  log.addEventListener("scroll", () => { if (following && atBottom() && unseen) catchUp(); });
  filter.addEventListener("input", () => {
    for (const line of log.children) line.className = matches(line.textContent) ? "" : "hidden";
  });
  select.addEventListener("change", () => { if (live.active) live.connect(); });
})();
