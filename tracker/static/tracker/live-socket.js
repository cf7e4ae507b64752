// A live WebSocket for the tracker pages (chat, map, log tail). Before each (re)connect it
// GETs a short-lived token from the ws-token view (403: logged out) and opens
// ws(s)://host/<path>?token=…; it keeps a status line up to date and reconnects with
// exponential backoff (0.5 s, doubling up to 10 s). Close codes: 4401 token bad or
// expired (new token, reconnect), 4403 login required (stop, show a log-in link), 4410
// the login ended, by a logout, password change or deactivation (reconnect if this
// page is still logged in, else show the log-in link), and the server's
// SERVER_CLOSE_STATUS codes (shown, then reconnect).
//
// Load it with <script src=".../live-socket.js" data-token-url="…" data-login-url="…">.
//
//   const live = LiveSocket({
//     path,             // "/ws/…/", or a function returning it, called before each connect
//     status,           // the status line element
//     onMessage(data),  // each frame, parsed from JSON
//     onOpen(),         // optional; may return a promise: "live" shows once it settles
//     reconnectStatus,  // [text, kind] after another close; default ["reconnecting…"]
//     stopOn,           // {closeCode: text}: stop and show text as an error
//     ping,             // optional frame to send every 30 s; a socket that then stays
//                       // silent for 10 s is taken as dead and reconnected (an open
//                       // socket cannot tell that the server's Redis is gone)
//   });
//   live.send(obj)      // send as JSON if open; true if sent
//   live.connect()      // (re)connect now, replacing the current socket
//   live.reconnect()    // close the current socket; it reconnects as after any drop
//   live.setStatus(text, kind)
//   live.active         // false once stopped (logged out or a stopOn code)
//
// A page with <div id="connection-banner"> (base.html) also gets a banner while a socket
// that was open is down, and "reconnected — reloading what you missed" while onOpen
// runs after it comes back.
(function () {
  const config = document.currentScript.dataset;
  // What the server's close codes mean for the page: 1011 its Redis does not answer,
  // 1012 Redis restarted without its data (reconnect at once to rejoin the groups),
  // 1013 the socket's messages waited too long for a worker.
  const SERVER_CLOSE_STATUS = {
    1011: ["server's messaging is down, reconnecting…", "error"],
    1012: ["server restarted, reconnecting…", "error"],
    1013: ["server busy, reconnecting…", "error"],
  };

  // The server answered but cannot open sockets now (its Redis does not answer).
  class Unavailable extends Error {}

  const BANNER_SHOWN_AFTER_RECONNECT = 4000;  // ms
  const PING_EVERY = 30000, ANSWER_WITHIN = 10000;  // ms

  // The banner of the page, shared by its sockets.
  function connectionBanner(element) {
    let hideTimer = null;
    function show(text, kind) {
      if (!element) return;
      clearTimeout(hideTimer);
      element.textContent = text;
      element.className = `banner ${kind}`;
      element.hidden = false;
    }
    return {
      down() { show("Connection lost — reconnecting… Updates will resume when it is back.", "down"); },
      reloading() { show("Reconnected — reloading what you missed…", "back"); },
      back() {
        show("Reconnected — you are up to date again.", "back");
        if (element) hideTimer = setTimeout(() => { element.hidden = true; }, BANNER_SHOWN_AFTER_RECONNECT);
      },
    };
  }
  const banner = connectionBanner(document.getElementById("connection-banner"));

  window.LiveSocket = function ({path, status, onMessage, onOpen, reconnectStatus = ["reconnecting…"],
                                 stopOn = {}, ping = null}) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    let socket = null, delay = 500, active = false, pinger = null, silence = null;
    let wasOpen = false, missed = false;  // missed: it dropped after being open

    function setStatus(text, kind) {
      status.textContent = text;
      status.className = "status" + (kind ? " " + kind : "");
    }
    function loggedOut(text) {
      active = false;
      setStatus(text + ": ", "error");
      const link = document.createElement("a");
      link.href = config.loginUrl + "?next=" + encodeURIComponent(location.pathname);
      link.textContent = "log in again";
      status.append(link);
    }
    function retry(text, kind) {
      setStatus(text, kind);
      setTimeout(() => { if (active) open(); }, delay);
      delay = Math.min(delay * 2, 10000);
    }
    async function fetchToken() {
      const response = await fetch(config.tokenUrl, {credentials: "same-origin", cache: "no-store"});
      if (response.status === 403) return null;
      if (response.status === 503) {
        const body = await response.json().catch(() => ({}));
        throw new Unavailable(body.error || "live updates are unavailable");
      }
      if (!response.ok) throw new Error(`token request failed (${response.status})`);
      return (await response.json()).token;
    }
    function send(obj) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(obj));
      return true;
    }
    function drop() {  // forget the current socket without reconnecting
      clearInterval(pinger);
      clearTimeout(silence);
      if (socket) { socket.onclose = null; socket.close(); }
      socket = null;
    }
    async function open() {
      drop();
      const url = `${scheme}://${location.host}${typeof path === "function" ? path() : path}`;
      setStatus("connecting…");
      let token;
      try {
        token = await fetchToken();
      } catch (error) {
        retry(error instanceof Unavailable ? `${error.message}, retrying…` : "no connection, retrying…", "error");
        return;
      }
      if (token === null) { loggedOut("signed out"); return; }
      if (!active) return;
      const current = socket = new WebSocket(`${url}?token=${encodeURIComponent(token)}`);
      current.onopen = async () => {
        delay = 500;
        const catchingUp = missed;
        if (catchingUp) banner.reloading();
        if (onOpen) await onOpen();
        if (current.readyState !== WebSocket.OPEN) return;
        wasOpen = true;
        missed = false;
        setStatus("live", "live");
        if (catchingUp) banner.back();
      };
      current.onmessage = (event) => {
        clearTimeout(silence);
        onMessage(JSON.parse(event.data));
      };
      current.onclose = (event) => {
        if (socket !== current) return;
        clearInterval(pinger);
        clearTimeout(silence);
        if (event.code in stopOn) { active = false; setStatus(stopOn[event.code], "error"); }
        else if (event.code === 4403) loggedOut("login required");
        else if (event.code === 4401) retry("socket token expired or invalid, getting a new one…", "error");
        else if (event.code === 4410) retry("the login ended, checking…", "error");
        else if (active) {
          if (wasOpen && !missed) { missed = true; banner.down(); }
          if (event.code in SERVER_CLOSE_STATUS) {
            if (event.code === 1012) delay = 500;
            retry(...SERVER_CLOSE_STATUS[event.code]);
          } else {
            retry(...reconnectStatus);
          }
        }
      };
      if (ping) pinger = setInterval(() => { if (send(ping)) expectAnswer(current); }, PING_EVERY);
    }
    function expectAnswer(current) {
      clearTimeout(silence);
      silence = setTimeout(() => { if (socket === current) current.close(); }, ANSWER_WITHIN);
    }
    function connect() {
      active = true;
      open();
    }

    connect();
    return {
      send, connect, setStatus,
      reconnect() { if (socket) socket.close(); },
      get active() { return active; },
    };
  };
})();
