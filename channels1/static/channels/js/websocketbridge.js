/*!
 * websocketbridge.js: the Channels 1.x `channels.WebSocketBridge` for pages served by
 * channels1. Plain browser script, no build step: load it with
 *   <script src="{% static 'channels/js/websocketbridge.js' %}"></script>
 * and it defines the global `channels` with `WebSocketBridge`.
 *
 * Copyright (c) the channels1 authors. All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without modification, are
 * permitted provided that the following conditions are met:
 * 1. Redistributions of source code must retain the above copyright notice, this list of
 *    conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice, this list
 *    of conditions and the following disclaimer in the documentation and/or other
 *    materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors may be
 *    used to endorse or promote products derived from this software without specific
 *    prior written permission.
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY
 * EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL
 * THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
 * SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT
 * OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
 * INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT,
 * STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF
 * THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 *
 *   const bridge = new channels.WebSocketBridge();
 *   bridge.connect("/ws/room/");           // relative to this page's host; ws: or wss:
 *   bridge.listen((action, stream) => {});  // every frame not sent to a stream, JSON-decoded
 *   bridge.demultiplex("chat", (action, stream) => {});  // frames {"stream": "chat", "payload": action}
 *   bridge.send({hello: "world"});          // JSON
 *   bridge.stream("chat").send({text: "hi"});  // {"stream": "chat", "payload": {"text": "hi"}}
 *   bridge.socket.addEventListener("open", () => {});  // the reconnecting socket
 *
 * `connect(url, protocols, options)`: without `url` the socket goes to the page's host
 * root; a `url` starting with "/" is put on the page's host, any other is used as is.
 * The socket reconnects whenever it closes, after a random delay between
 * `minReconnectionDelay` and twice that, growing by `reconnectionDelayGrowFactor` up to
 * `maxReconnectionDelay` and starting over once a connection opens; an attempt that has
 * not opened after `connectionTimeout` ms is dropped and retried, and after
 * `maxRetries` failed attempts in a row it stops with an "error" event whose error has
 * code "EHOSTDOWN". `socket.close(code, reason, {keepClosed: true})` closes it for good;
 * without keepClosed it reconnects (after `delay` ms, if given). Handlers set with
 * `onopen`/`onmessage`/`onclose`/`onerror` or `addEventListener` stay across reconnects.
 */
(function (global) {
  "use strict";

  var DEFAULT_OPTIONS = {
    maxReconnectionDelay: 10000,
    minReconnectionDelay: 1500,
    reconnectionDelayGrowFactor: 1.3,
    connectionTimeout: 4000,
    maxRetries: Infinity,
    debug: false
  };
  var EVENTS = ["open", "message", "close", "error"];

  function ReconnectingWebSocket(url, protocols, options) {
    if (!(this instanceof ReconnectingWebSocket)) {
      throw new TypeError("ReconnectingWebSocket must be created with new");
    }
    var settings = {}, key;
    for (key in DEFAULT_OPTIONS) settings[key] = DEFAULT_OPTIONS[key];
    for (key in options || {}) settings[key] = options[key];
    this.url = url;
    this.protocols = protocols;
    this.options = settings;
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    this._listeners = {open: [], message: [], close: [], error: []};
    this._ws = null;
    this._failures = 0;
    this._delay = 0;
    this._keepClosed = false;
    this._reconnectTimer = null;
    this._connectTimer = null;
    this._nextDelay = undefined;  // a delay asked for by close(), used once
    this._open();
  }

  ReconnectingWebSocket.CONNECTING = 0;
  ReconnectingWebSocket.OPEN = 1;
  ReconnectingWebSocket.CLOSING = 2;
  ReconnectingWebSocket.CLOSED = 3;

  ["readyState", "protocol", "extensions", "bufferedAmount"].forEach(function (name) {
    Object.defineProperty(ReconnectingWebSocket.prototype, name, {
      get: function () { return this._ws[name]; }
    });
  });
  Object.defineProperty(ReconnectingWebSocket.prototype, "binaryType", {
    get: function () { return this._ws.binaryType; },
    set: function (value) { this._binaryType = value; this._ws.binaryType = value; }
  });

  ReconnectingWebSocket.prototype._log = function () {
    if (this.options.debug) console.log.apply(console, ["ReconnectingWebSocket:"].concat([].slice.call(arguments)));
  };

  ReconnectingWebSocket.prototype._emit = function (type, event) {
    var handler = this["on" + type];
    if (typeof handler === "function") handler.call(this, event);
    this._listeners[type].slice().forEach(function (listener) { listener.call(this, event); }, this);
  };

  ReconnectingWebSocket.prototype._open = function () {
    var self = this;
    var ws = this._ws = new WebSocket(this.url, this.protocols);
    if (this._binaryType) ws.binaryType = this._binaryType;
    this._log("connecting to", this.url);
    this._connectTimer = setTimeout(function () {
      self._log("no connection after", self.options.connectionTimeout, "ms");
      ws.close();
    }, this.options.connectionTimeout);
    EVENTS.forEach(function (type) {
      ws.addEventListener(type, function (event) {
        if (ws !== self._ws) return;  // a socket already replaced
        if (type === "open") {
          clearTimeout(self._connectTimer);
          self._failures = 0;
          self._delay = 0;
        }
        self._emit(type, event);
        if (type === "close") self._closed();
      });
    });
  };

  ReconnectingWebSocket.prototype._closed = function () {
    clearTimeout(this._connectTimer);
    if (this._keepClosed) return;
    this._failures += 1;
    if (this._failures > this.options.maxRetries) {
      var error = new Error("Too many failed connection attempts");
      error.code = "EHOSTDOWN";
      this._emit("error", error);
      return;
    }
    var min = this.options.minReconnectionDelay;
    this._delay = this._delay
      ? Math.min(this._delay * this.options.reconnectionDelayGrowFactor, this.options.maxReconnectionDelay)
      : Math.min(min + Math.random() * min, this.options.maxReconnectionDelay);
    var self = this, wait = this._nextDelay === undefined ? this._delay : this._nextDelay;
    this._nextDelay = undefined;
    this._log("reconnecting in", Math.round(wait), "ms");
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = setTimeout(function () { self._open(); }, wait);
  };

  ReconnectingWebSocket.prototype.send = function (data) {
    this._ws.send(data);
  };

  ReconnectingWebSocket.prototype.close = function (code, reason, options) {
    options = options || {};
    this._keepClosed = Boolean(options.keepClosed);
    this._nextDelay = options.delay;
    clearTimeout(this._reconnectTimer);
    if (this._ws.readyState === WebSocket.CLOSED) {  // already waiting to reconnect
      this._closed();
      return;
    }
    this._ws.close(code === undefined ? 1000 : code, reason || "");
  };

  ReconnectingWebSocket.prototype.addEventListener = function (type, listener) {
    if (this._listeners[type] && this._listeners[type].indexOf(listener) < 0) this._listeners[type].push(listener);
  };

  ReconnectingWebSocket.prototype.removeEventListener = function (type, listener) {
    var listeners = this._listeners[type] || [];
    var index = listeners.indexOf(listener);
    if (index >= 0) listeners.splice(index, 1);
  };

  function pageBaseUrl() {
    var scheme = global.location.protocol === "https:" ? "wss" : "ws";
    return scheme + "://" + global.location.host;
  }

  function WebSocketBridge(options) {
    /** The reconnecting socket, once connect() has been called. */
    this.socket = null;
    this.streams = {};
    this.default_cb = null;
    this.options = {};
    for (var key in options || {}) this.options[key] = options[key];
  }

  /** Open the reconnecting socket: `url` as described above; `protocols` and
   * `options` (delays, timeouts, maxRetries, debug) go to the socket. */
  WebSocketBridge.prototype.connect = function (url, protocols, options) {
    var target;
    if (url === undefined) target = pageBaseUrl();
    else if (url.charAt(0) === "/") target = pageBaseUrl() + url;
    else target = url;
    var self = this;
    this.socket = new ReconnectingWebSocket(target, protocols, options);
    this.socket.addEventListener("message", function (event) { self._dispatch(event); });
  };

  WebSocketBridge.prototype._dispatch = function (event) {
    var message;
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      console.error("WebSocketBridge: dropped a frame that is not JSON:", event.data);
      return;
    }
    if (message !== null && typeof message === "object" && message.stream !== undefined) {
      var handler = this.streams[message.stream];
      if (handler) handler(message.payload, message.stream);
    } else if (this.default_cb) {
      this.default_cb(message, null);
    }
  };

  /** Call `cb(action, stream)` for every JSON frame that does not belong to a stream
   * (stream is then null); frames of a stream go to its demultiplex() handler. */
  WebSocketBridge.prototype.listen = function (cb) {
    this.default_cb = cb || null;
  };

  /** Call `cb(payload, stream)` for every frame {"stream": stream, "payload": payload}. */
  WebSocketBridge.prototype.demultiplex = function (stream, cb) {
    this.streams[stream] = cb;
  };

  /** Send `msg` as JSON. */
  WebSocketBridge.prototype.send = function (msg) {
    this.socket.send(JSON.stringify(msg));
  };

  /** An object whose send(payload) sends {"stream": stream, "payload": payload}. */
  WebSocketBridge.prototype.stream = function (stream) {
    var self = this;
    return {
      send: function (payload) {
        self.socket.send(JSON.stringify({stream: stream, payload: payload}));
      }
    };
  };

  var channels = global.channels = global.channels || {};
  channels.WebSocketBridge = WebSocketBridge;
  channels.ReconnectingWebSocket = ReconnectingWebSocket;
})(typeof window !== "undefined" ? window : this);
