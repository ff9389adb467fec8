/*
 * Siteflow chat — a small Phoenix Channels client (V2 JSON) and the chat app, written for
 * Siteflow; no dependencies, no build step.
 *
 * THE CHAT CHANNEL CONTRACT (the server-side channel implements exactly this):
 *
 *   Socket:  ws(s)://<host>/socket/websocket?vsn=2.0.0   frames [join_ref, ref, topic, event, payload]
 *            heartbeat [null, ref, "phoenix", "heartbeat", {}] every 30 s, expects an ok reply.
 *   Topic:   "room:<name>"
 *   join     phx_join {"nickname": "<nickname>", "token": "<token>"?, "after": <id>?}
 *            → ok    {"messages": [Message, …], "nickname": "…", "token": "<token>"}
 *                    the latest history, oldest first; the token holds the nickname
 *            With "after" (every rejoin: the id up to which the page has every message, 0 if
 *            none) the messages are those after that id instead, oldest first, at most one
 *            page, and the reply has "more": true|false; while more, the page asks for the
 *            rest with history {"after": <id of the last message received, else its after>}
 *            (a room not in the server's memory answers [] and more: true at once). A
 *            non-integer or negative after is refused: error {"reason": "after must be …"}.
 *            → error {"reason": "<text>"}         shown to the user (e.g. nickname taken)
 *            A nickname is held by whoever claimed it: the page keeps the join's token per
 *            nickname (localStorage) and presents it on every join, rejoin and reconnect. A
 *            token the server no longer accepts ("invalid nickname token", "nickname token
 *            expired") is forgotten and the join tried once more without it.
 *            If the room's history was not in memory, messages is [] and the server pushes
 *   server   history {"messages": [Message, …]}   soon after (oldest first)
 *   server   history {"messages": [Message, …], "more": bool, "after": <id>}  may follow any
 *            join: messages committed after <id> while the join was answered (they may also
 *            come as new_msg broadcasts: a message is shown once per id)
 *   push     new_msg {"body": "<text>", "key": "<idempotency key>"}
 *            → ok {"id": …}; error {"reason": "<text>"} is shown
 *            → every member of the room (the sender too) receives broadcast
 *              new_msg Message
 *            The key is time-ordered per sender: "<client id>-<sequence>", the client id made
 *            once per page (base36 milliseconds + random), the sequence zero-padded, so one
 *            sender's keys sort in sending order. A message whose reply did not come (timeout,
 *            socket closed) stays in the outbox (#outbox, shown pending) and is sent again with
 *            the same key after the rejoin, until acknowledged or refused; the server stores a
 *            key once and acknowledges a retry with the first id (it may broadcast it again:
 *            messages are shown once per id).
 *   push     typing {}
 *            → the others receive typing {"nickname": "<nickname>"}  (shown for 3 s)
 *   push     history {"before": <id of the oldest message shown>}
 *            → ok {"messages": [Message, …]}  older messages, oldest first ([] = no more)
 *   push     history {"after": <id>}
 *            → ok {"messages": [Message, …], "more": bool}  newer messages, oldest first
 *   server   presence_state {"<nickname>": {"metas": [{"phx_ref": "…", …}, …]}, …}
 *   server   presence_diff  {"joins": {key: {metas}}, "leaves": {key: {metas}}}
 *            the presence key is the nickname; "#online" lists the keys.
 *
 *   Message = {"id": <number or string, increasing>, "nickname": "…", "body": "…", "at": "<ISO 8601>"}
 *
 * Opening /?nickname=<n>&room=<r> fills the form and joins at once; &transport=longpoll
 * uses Phoenix long-polling instead of the WebSocket (it is also the automatic fallback when
 * the WebSocket does not open within 2.5 s). #status carries data-transport.
 *
 * Element ids for browser tests: #nickname #room #join #leave #message #send #messages
 * #online #typing #status #error #load-older #room-title #outbox; each message is
 * <li class="message" data-id="…"><span class="nickname"/><span class="body"/><time/></li>,
 * shown once per id and in id order; each unacknowledged one is
 * <li class="pending" data-key="…"><span class="body"/></li> in #outbox.
 */
(function () {
  "use strict";

  var RECONNECT_STEPS_MS = [10, 50, 100, 150, 200, 250, 500, 1000, 2000];
  var REJOIN_STEPS_MS = [1000, 2000, 5000];
  var PUSH_TIMEOUT_MS = 10000;

  // ---------------------------------------------------------------- Phoenix socket (V2 JSON)

  function Socket(endPoint, options) {
    options = options || {};
    this.endPoint = endPoint;
    this.params = options.params || {};
    this.heartbeatIntervalMs = options.heartbeatIntervalMs || 30000;
    this.transport = options.transport === "longpoll" ? "longpoll" : "websocket";
    this.longPollFallbackMs = options.longPollFallbackMs || 2500;
    this.everOpened = false;
    this.fallbackTimer = null;
    this.channels = [];
    this.sendBuffer = [];
    this.ref = 0;
    this.conn = null;
    this.reconnectTries = 0;
    this.reconnectTimer = null;
    this.heartbeatTimer = null;
    this.pendingHeartbeatRef = null;
    this.closedByUser = false;
    this.stateCallbacks = { open: [], close: [], error: [] };
  }

  Socket.prototype.endPointURL = function (transport) {
    var location = window.location;
    var secure = location.protocol === "https:";
    var query = Object.keys(this.params).map(function (key) {
      return encodeURIComponent(key) + "=" + encodeURIComponent(this.params[key]);
    }, this);
    query.push("vsn=2.0.0");
    if (transport === "longpoll") {
      return (secure ? "https:" : "http:") + "//" + location.host + this.endPoint + "/longpoll?" + query.join("&");
    }
    return (secure ? "wss:" : "ws:") + "//" + location.host + this.endPoint + "/websocket?" + query.join("&");
  };

  Socket.prototype.onOpen = function (callback) { this.stateCallbacks.open.push(callback); };
  Socket.prototype.onClose = function (callback) { this.stateCallbacks.close.push(callback); };
  Socket.prototype.onError = function (callback) { this.stateCallbacks.error.push(callback); };

  Socket.prototype.makeRef = function () {
    this.ref += 1;
    return String(this.ref);
  };

  Socket.prototype.isConnected = function () {
    return this.conn !== null && this.conn.readyState === 1;
  };

  Socket.prototype.connect = function () {
    if (this.conn) { return; }
    this.closedByUser = false;
    var socket = this;
    var conn = this.transport === "longpoll"
      ? new LongPoll(this.endPointURL("longpoll"))
      : new WebSocket(this.endPointURL("websocket"));
    this.conn = conn;
    if (this.transport === "websocket" && !this.everOpened) {
      // A WebSocket that never opens (a proxy in the way): fall back to long-polling.
      clearTimeout(this.fallbackTimer);
      this.fallbackTimer = setTimeout(function () {
        if (socket.conn !== conn || conn.readyState === 1) { return; }
        socket.transport = "longpoll";
        conn.onclose = null;
        conn.close();
        socket.conn = null;
        socket.connect();
      }, this.longPollFallbackMs);
    }
    conn.onopen = function () { socket.handleOpen(); };
    conn.onerror = function (event) {
      socket.stateCallbacks.error.forEach(function (callback) { callback(event); });
    };
    conn.onmessage = function (event) { socket.handleMessage(event.data); };
    conn.onclose = function (event) { socket.handleClose(conn, event); };
  };

  Socket.prototype.disconnect = function () {
    this.closedByUser = true;
    clearTimeout(this.reconnectTimer);
    if (this.conn) { this.conn.close(1000, "bye"); }
  };

  Socket.prototype.handleOpen = function () {
    this.reconnectTries = 0;
    this.everOpened = true;
    clearTimeout(this.fallbackTimer);
    this.stateCallbacks.open.forEach(function (callback) { callback(); });
    var buffered = this.sendBuffer;
    this.sendBuffer = [];
    buffered.forEach(function (send) { send(); });
    this.startHeartbeat();
    this.channels.forEach(function (channel) { channel.socketOpened(); });
  };

  Socket.prototype.handleClose = function (conn, event) {
    if (this.conn !== conn) { return; }
    this.conn = null;
    clearInterval(this.heartbeatTimer);
    this.pendingHeartbeatRef = null;
    this.channels.forEach(function (channel) { channel.socketClosed(); });
    this.stateCallbacks.close.forEach(function (callback) { callback(event); });
    if (this.closedByUser) { return; }
    var delay = RECONNECT_STEPS_MS[this.reconnectTries] || 5000;
    this.reconnectTries += 1;
    var socket = this;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(function () { socket.connect(); }, delay);
  };

  Socket.prototype.startHeartbeat = function () {
    var socket = this;
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(function () {
      if (!socket.isConnected()) { return; }
      if (socket.pendingHeartbeatRef) {
        // No reply to the last heartbeat within an interval: the connection is dead.
        socket.pendingHeartbeatRef = null;
        socket.conn.close(1000, "heartbeat timeout");
        return;
      }
      socket.pendingHeartbeatRef = socket.makeRef();
      socket.push({ joinRef: null, ref: socket.pendingHeartbeatRef, topic: "phoenix", event: "heartbeat", payload: {} });
    }, this.heartbeatIntervalMs);
  };

  Socket.prototype.push = function (message) {
    var socket = this;
    var send = function () {
      socket.conn.send(JSON.stringify([message.joinRef, message.ref, message.topic, message.event, message.payload]));
    };
    if (this.isConnected()) { send(); } else { this.sendBuffer.push(send); }
  };

  Socket.prototype.handleMessage = function (data) {
    var frame;
    try { frame = JSON.parse(data); } catch (error) { return; }
    if (!Array.isArray(frame) || frame.length !== 5) { return; }
    var message = { joinRef: frame[0], ref: frame[1], topic: frame[2], event: frame[3], payload: frame[4] || {} };
    if (message.topic === "phoenix" && message.ref === this.pendingHeartbeatRef) {
      this.pendingHeartbeatRef = null;
      return;
    }
    this.channels.forEach(function (channel) {
      if (channel.topic === message.topic) { channel.handleMessage(message); }
    });
  };

  Socket.prototype.channel = function (topic, params) {
    var channel = new Channel(topic, params || {}, this);
    this.channels.push(channel);
    return channel;
  };

  Socket.prototype.remove = function (channel) {
    this.channels = this.channels.filter(function (other) { return other !== channel; });
  };

  // ---------------------------------------------------------------- long-poll transport

  // Phoenix long-polling behind the WebSocket interface the socket uses (readyState, send,
  // close, onopen/onmessage/onclose/onerror). Every answer is HTTP 200 with the protocol status
  // in the JSON body: 410 opens the session (its token) or says it is gone, 200 carries
  // messages, 204 means none arrived in time, 403 means refused.
  function LongPoll(url) {
    this.url = url;
    this.token = null;
    this.readyState = 0;
    this.onopen = function () {};
    this.onmessage = function () {};
    this.onclose = function () {};
    this.onerror = function () {};
    this.controller = null;
    var poller = this;
    setTimeout(function () { poller.poll(); }, 0);
  }

  LongPoll.prototype.endpoint = function () {
    return this.url + (this.token ? "&token=" + encodeURIComponent(this.token) : "");
  };

  LongPoll.prototype.poll = function () {
    if (this.readyState === 2 || this.readyState === 3) { return; }
    var poller = this;
    this.controller = typeof AbortController === "function" ? new AbortController() : null;
    fetch(this.endpoint(), { method: "GET", headers: { accept: "application/json" }, signal: this.controller && this.controller.signal })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (poller.readyState === 3) { return; }
        if (body.token) { poller.token = body.token; }
        switch (body.status) {
          case 200:
            (body.messages || []).forEach(function (message) { poller.onmessage({ data: message }); });
            poller.poll();
            break;
          case 204:
            poller.poll();
            break;
          case 410:
            if (poller.readyState === 0) {
              poller.readyState = 1;
              poller.onopen({});
              poller.poll();
            } else {
              poller.closeWith(1000, "session gone");   // the socket reconnects and rejoins
            }
            break;
          default:
            poller.onerror({ status: body.status, reason: body.reason });
            poller.closeWith(1008, body.reason || "refused");
        }
      })
      .catch(function (error) {
        if (poller.readyState === 3) { return; }
        poller.onerror(error);
        poller.closeWith(1006, "long-poll request failed");
      });
  };

  LongPoll.prototype.send = function (body) {
    var poller = this;
    fetch(this.endpoint(), { method: "POST", headers: { "content-type": "application/json" }, body: body })
      .then(function (response) { return response.json(); })
      .then(function (reply) {
        if (reply.status !== 200) { poller.closeWith(1000, "session gone"); }
      })
      .catch(function () { poller.closeWith(1006, "long-poll request failed"); });
  };

  LongPoll.prototype.close = function (code, reason) {
    this.closeWith(code || 1000, reason || "");
  };

  LongPoll.prototype.closeWith = function (code, reason) {
    if (this.readyState === 3) { return; }
    this.readyState = 3;
    if (this.controller) { this.controller.abort(); }
    this.onclose({ code: code, reason: reason, wasClean: code === 1000 });
  };

  // ---------------------------------------------------------------- pushes and channels

  function Push(channel, event, payload) {
    this.channel = channel;
    this.event = event;
    this.payload = payload;
    this.ref = null;
    this.hooks = [];
    this.received = null;
    this.timer = null;
  }

  Push.prototype.receive = function (status, callback) {
    if (this.received && this.received.status === status) { callback(this.received.response); }
    this.hooks.push({ status: status, callback: callback });
    return this;
  };

  Push.prototype.send = function () {
    var push = this;
    this.ref = this.channel.socket.makeRef();
    this.received = null;
    this.channel.pending[this.ref] = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { push.settle("timeout", {}); }, PUSH_TIMEOUT_MS);
    this.channel.socket.push({
      joinRef: this.channel.joinRef, ref: this.ref, topic: this.channel.topic, event: this.event, payload: this.payload
    });
  };

  Push.prototype.settle = function (status, response) {
    clearTimeout(this.timer);
    delete this.channel.pending[this.ref];
    this.received = { status: status, response: response };
    this.hooks.forEach(function (hook) {
      if (hook.status === status) { hook.callback(response); }
    });
  };

  function Channel(topic, params, socket) {
    this.topic = topic;
    this.params = params;
    this.socket = socket;
    this.state = "closed";        // closed | joining | joined | errored | leaving
    this.joinRef = null;
    this.joinPush = null;
    this.pending = {};
    this.bindings = [];
    this.rejoinTries = 0;
    this.rejoinTimer = null;
    this.wantJoined = false;
  }

  Channel.prototype.on = function (event, callback) {
    this.bindings.push({ event: event, callback: callback });
  };

  Channel.prototype.join = function () {
    this.wantJoined = true;
    this.joinPush = new Push(this, "phx_join", this.params);
    var channel = this;
    this.joinPush.receive("ok", function () {
      channel.state = "joined";
      channel.rejoinTries = 0;
    });
    this.joinPush.receive("error", function () {
      channel.state = "errored";
      channel.wantJoined = false;   // a refused join is final: the user fixes the input
    });
    this.joinPush.receive("timeout", function () {
      channel.state = "errored";
      channel.scheduleRejoin();
    });
    this.sendJoin();
    return this.joinPush;
  };

  Channel.prototype.sendJoin = function () {
    this.state = "joining";
    // The join's ref is also its join_ref; a rejoin gets a fresh one.
    var push = this.joinPush;
    push.ref = this.socket.makeRef();
    this.joinRef = push.ref;
    push.received = null;
    this.pending[push.ref] = push;
    clearTimeout(push.timer);
    push.timer = setTimeout(function () { push.settle("timeout", {}); }, PUSH_TIMEOUT_MS);
    // Params may be a function (read at every join and rejoin: the nickname token can change).
    var payload = typeof this.params === "function" ? this.params() : this.params;
    this.socket.push({ joinRef: this.joinRef, ref: push.ref, topic: this.topic, event: "phx_join", payload: payload });
  };

  Channel.prototype.scheduleRejoin = function () {
    if (!this.wantJoined) { return; }
    var channel = this;
    var delay = REJOIN_STEPS_MS[this.rejoinTries] || 10000;
    this.rejoinTries += 1;
    clearTimeout(this.rejoinTimer);
    this.rejoinTimer = setTimeout(function () {
      if (channel.socket.isConnected() && channel.wantJoined) { channel.sendJoin(); }
    }, delay);
  };

  Channel.prototype.socketOpened = function () {
    if (this.wantJoined && this.state !== "joined" && this.state !== "joining") {
      this.rejoinTries = 0;
      this.sendJoin();
    } else if (this.wantJoined && this.state === "joining" && this.joinPush && this.joinPush.received === null) {
      // The join was buffered while connecting: it went out with the buffer.
    }
  };

  Channel.prototype.socketClosed = function () {
    if (this.state === "joined" || this.state === "joining") { this.state = "errored"; }
    this.abandonPending();
    this.trigger("phx_error", {});
  };

  // The replies of pushes sent on a join that ended will never come: they settle "closed" now
  // (the caller may send them again after the rejoin), not "timeout" later.
  Channel.prototype.abandonPending = function () {
    var channel = this;
    Object.keys(this.pending).forEach(function (ref) {
      var push = channel.pending[ref];
      if (push !== channel.joinPush) { push.settle("closed", {}); }
    });
  };

  Channel.prototype.push = function (event, payload) {
    var push = new Push(this, event, payload || {});
    if (this.state === "joined") {
      push.send();
    } else {
      var pending = push;
      setTimeout(function () { pending.settle("error", { reason: "not joined" }); }, 0);
    }
    return push;
  };

  Channel.prototype.leave = function () {
    this.wantJoined = false;
    clearTimeout(this.rejoinTimer);
    var leave = new Push(this, "phx_leave", {});
    if (this.socket.isConnected() && this.state === "joined") { leave.send(); }
    this.state = "closed";
    this.socket.remove(this);
    return leave;
  };

  Channel.prototype.handleMessage = function (message) {
    // Messages for an older join of this topic are stale.
    if (message.joinRef !== null && message.joinRef !== undefined && message.joinRef !== this.joinRef) { return; }
    if (message.event === "phx_reply") {
      var push = this.pending[message.ref];
      if (push) { push.settle(message.payload.status, message.payload.response || {}); }
      return;
    }
    if (message.event === "phx_error" || message.event === "phx_close") {
      this.state = message.event === "phx_close" && !this.wantJoined ? "closed" : "errored";
      this.abandonPending();
      this.trigger(message.event, message.payload);
      this.scheduleRejoin();
      return;
    }
    this.trigger(message.event, message.payload);
  };

  Channel.prototype.trigger = function (event, payload) {
    this.bindings.forEach(function (binding) {
      if (binding.event === event) { binding.callback(payload); }
    });
  };

  // ---------------------------------------------------------------- presence

  var Presence = {
    syncState: function (current, incoming) {
      var state = {};
      Object.keys(incoming).forEach(function (key) { state[key] = { metas: incoming[key].metas.slice() }; });
      return state;
    },
    syncDiff: function (current, diff) {
      var state = {};
      Object.keys(current).forEach(function (key) { state[key] = { metas: current[key].metas.slice() }; });
      Object.keys(diff.joins || {}).forEach(function (key) {
        var existing = state[key] ? state[key].metas : [];
        var refs = {};
        diff.joins[key].metas.forEach(function (meta) { refs[meta.phx_ref] = true; });
        var kept = existing.filter(function (meta) { return !refs[meta.phx_ref]; });
        state[key] = { metas: kept.concat(diff.joins[key].metas) };
      });
      Object.keys(diff.leaves || {}).forEach(function (key) {
        if (!state[key]) { return; }
        var refs = {};
        diff.leaves[key].metas.forEach(function (meta) { refs[meta.phx_ref] = true; });
        var metas = state[key].metas.filter(function (meta) { return !refs[meta.phx_ref]; });
        if (metas.length === 0) { delete state[key]; } else { state[key] = { metas: metas }; }
      });
      return state;
    }
  };

  // ---------------------------------------------------------------- the chat app

  function element(id) { return document.getElementById(id); }

  var pageQuery = new URLSearchParams(window.location.search);
  var socket = new Socket("/socket", { transport: pageQuery.get("transport") || "websocket" });
  var channel = null;
  var presences = {};
  var shownIds = {};
  var oldestId = null;
  var newestId = null;
  // The id up to which the page has every message of the room (what a rejoin resumes after),
  // and whether a resume is still reading pages (broadcasts then do not advance it).
  var syncedThrough = null;
  var resuming = false;
  // Messages sent and not yet acknowledged, in sending order: {key, body, sending}.
  var outbox = [];
  // This page's sender id for idempotency keys: base36 milliseconds, then random.
  var clientId = Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8);
  var sequence = 0;
  var currentNickname = null;
  var typingTimers = {};
  var lastTypingSent = 0;

  function setStatus(state) {
    var status = element("status");
    status.textContent = state;
    status.setAttribute("data-state", state);
    status.setAttribute("data-transport", socket.transport);
  }

  function showError(text) {
    var error = element("error");
    if (text) {
      error.textContent = text;
      error.hidden = false;
    } else {
      error.textContent = "";
      error.hidden = true;
    }
  }

  function setJoined(joined) {
    element("message").disabled = !joined;
    element("send").disabled = !joined;
    element("load-older").disabled = !joined;
    element("leave").disabled = !joined;
  }

  function messageElement(message) {
    var item = document.createElement("li");
    item.className = "message";
    item.setAttribute("data-id", String(message.id));
    var nickname = document.createElement("span");
    nickname.className = "nickname";
    nickname.textContent = message.nickname;
    var body = document.createElement("span");
    body.className = "body";
    body.textContent = message.body;
    var time = document.createElement("time");
    time.setAttribute("datetime", message.at || "");
    var date = message.at ? new Date(message.at) : null;
    time.textContent = date && !isNaN(date.getTime()) ? date.toLocaleTimeString() : "";
    item.appendChild(nickname);
    item.appendChild(body);
    item.appendChild(time);
    return item;
  }

  function rememberOldest(message) {
    if (oldestId === null || compareIds(message.id, oldestId) < 0) { oldestId = message.id; }
    if (newestId === null || compareIds(message.id, newestId) > 0) { newestId = message.id; }
  }

  // Shows `message` at its place by id, once (a rejoin's gap, a retried message's second
  // broadcast and the live broadcasts may overlap and arrive in any order).
  function insertMessage(message) {
    if (message === null || typeof message !== "object" || message.id === undefined || shownIds[message.id]) { return false; }
    shownIds[message.id] = true;
    rememberOldest(message);
    var list = element("messages");
    var before = list.lastChild;
    while (before && compareIds(before.messageId, message.id) > 0) { before = before.previousSibling; }
    var item = messageElement(message);
    item.messageId = message.id;
    list.insertBefore(item, before ? before.nextSibling : list.firstChild);
    return true;
  }

  function compareIds(a, b) {
    if (typeof a === "number" && typeof b === "number") { return a - b; }
    return String(a) < String(b) ? -1 : (String(a) > String(b) ? 1 : 0);
  }

  function appendMessages(messages) {
    var list = element("messages");
    messages.forEach(function (message) {
      if (insertMessage(message)) { clearTyping(message.nickname); }
    });
    list.scrollTop = list.scrollHeight;
  }

  function prependMessages(messages) {
    messages.forEach(insertMessage);
  }

  // ---------------------------------------------------------------- the outbox

  function nextKey() {
    sequence += 1;
    var digits = String(sequence);
    while (digits.length < 8) { digits = "0" + digits; }
    return clientId + "-" + digits;
  }

  function renderOutbox() {
    var list = element("outbox");
    list.textContent = "";
    outbox.forEach(function (entry) {
      var item = document.createElement("li");
      item.className = "pending";
      item.setAttribute("data-key", entry.key);
      var body = document.createElement("span");
      body.className = "body";
      body.textContent = entry.body;
      item.appendChild(body);
      list.appendChild(item);
    });
  }

  function settleEntry(entry) {
    outbox = outbox.filter(function (other) { return other !== entry; });
    renderOutbox();
  }

  // Sends `entry` if the channel is joined; else it waits in the outbox for the rejoin.
  function sendEntry(entry) {
    if (!channel || channel.state !== "joined" || entry.sending) { return; }
    var sentOn = channel;
    entry.sending = true;
    sentOn.push("new_msg", { body: entry.body, key: entry.key })
      .receive("ok", function (response) {
        entry.sending = false;
        settleEntry(entry);
        if (channel === sentOn && response.id !== undefined && !shownIds[response.id]) {
          appendMessages([{ id: response.id, nickname: currentNickname, body: entry.body, at: new Date().toISOString() }]);
        }
      })
      .receive("error", function (response) {
        entry.sending = false;
        settleEntry(entry);
        showError("Not sent: " + (response.reason || "error"));
      })
      .receive("timeout", function () {
        // No answer on a live join: sent again with the same key (stored once).
        entry.sending = false;
        if (channel === sentOn) { sendEntry(entry); }
      })
      .receive("closed", function () {
        entry.sending = false;   // sent again after the rejoin
      });
  }

  function flushOutbox() {
    outbox.forEach(sendEntry);
  }

  function advanceSynced(id) {
    if (id !== null && id !== undefined && (syncedThrough === null || compareIds(id, syncedThrough) > 0)) { syncedThrough = id; }
  }

  // A page of the messages after `afterId` (a resuming join's reply, a history {after} reply or
  // push): shows them, and asks for the next page while the server says there are more. The
  // page has every message up to the last one of the page; once no more, up to the newest shown.
  function resumePage(joined, afterId, response) {
    if (channel !== joined) { return; }
    var messages = response.messages || [];
    appendMessages(messages);
    var lastId = messages.length > 0 ? messages[messages.length - 1].id : afterId;
    advanceSynced(lastId);
    if (!response.more) {
      resuming = false;
      advanceSynced(newestId);
      return;
    }
    resuming = true;
    joined.push("history", { after: lastId })
      .receive("ok", function (next) { resumePage(joined, lastId, next); })
      .receive("error", function (reply) {
        showError("Could not load the missed messages: " + (reply.reason || "error"));
      });
      // Timeout or closed: the next rejoin resumes after syncedThrough.
  }

  function renderTyping() {
    var names = Object.keys(typingTimers);
    var typing = element("typing");
    if (names.length === 0) { typing.textContent = ""; }
    else if (names.length === 1) { typing.textContent = names[0] + " is typing…"; }
    else { typing.textContent = names.join(", ") + " are typing…"; }
  }

  function clearTyping(nickname) {
    if (!typingTimers[nickname]) { return; }
    clearTimeout(typingTimers[nickname]);
    delete typingTimers[nickname];
    renderTyping();
  }

  function renderOnline() {
    var list = element("online");
    list.textContent = "";
    Object.keys(presences).sort().forEach(function (key) {
      var item = document.createElement("li");
      item.setAttribute("data-nickname", key);
      item.textContent = key;
      list.appendChild(item);
    });
  }

  function resetRoom() {
    element("messages").textContent = "";
    element("online").textContent = "";
    element("typing").textContent = "";
    Object.keys(typingTimers).forEach(function (name) { clearTimeout(typingTimers[name]); });
    typingTimers = {};
    presences = {};
    shownIds = {};
    oldestId = null;
    newestId = null;
    syncedThrough = null;
    resuming = false;
    outbox = [];
    renderOutbox();
  }

  // The nickname tokens, per nickname (compared case-insensitively, like the server).
  var TOKEN_PREFIX = "siteflow.nicknameToken.";
  function loadToken(nickname) {
    try { return window.localStorage.getItem(TOKEN_PREFIX + nickname.toLowerCase()); } catch (e) { return null; }
  }
  function saveToken(nickname, token) {
    try {
      if (token) { window.localStorage.setItem(TOKEN_PREFIX + nickname.toLowerCase(), token); }
      else { window.localStorage.removeItem(TOKEN_PREFIX + nickname.toLowerCase()); }
    } catch (e) { /* storage unavailable: the nickname is held for this page's life only */ }
  }

  function join(nickname, room, retried) {
    if (channel) { channel.leave(); channel = null; }
    resetRoom();
    showError(null);
    setJoined(false);
    var topic = "room:" + room;
    element("room-title").textContent = topic;
    var joinedBefore = false;
    var sentAfter = null;
    var joined = socket.channel(topic, function () {
      var params = { nickname: nickname };
      var token = loadToken(nickname);
      if (token) { params.token = token; }
      // A rejoin resumes after the last message it has without a gap: the gap is filled, and
      // nothing is shown twice.
      // Until its pages are in, broadcasts (which may precede the reply) do not advance it.
      if (joinedBefore) {
        sentAfter = syncedThrough === null ? 0 : syncedThrough;
        params.after = sentAfter;
        resuming = true;
      }
      return params;
    });
    channel = joined;
    joined.on("new_msg", function (message) {
      appendMessages([message]);
      if (!resuming) { advanceSynced(message.id); }
    });
    joined.on("history", function (payload) {
      if (payload.after !== undefined) {
        // Messages committed while the join was answered.
        resumePage(joined, payload.after, payload);
      } else {
        // The room's latest history, read from the store after the join.
        appendMessages(payload.messages || []);
        advanceSynced(newestId);
      }
    });
    joined.on("typing", function (payload) {
      if (!payload.nickname || payload.nickname === nickname) { return; }
      clearTimeout(typingTimers[payload.nickname]);
      typingTimers[payload.nickname] = setTimeout(function () { clearTyping(payload.nickname); }, 3000);
      renderTyping();
    });
    joined.on("presence_state", function (state) {
      presences = Presence.syncState(presences, state);
      renderOnline();
    });
    joined.on("presence_diff", function (diff) {
      presences = Presence.syncDiff(presences, diff);
      renderOnline();
    });
    joined.on("phx_error", function () {
      // The composer stays open: what is sent meanwhile waits in the outbox for the rejoin.
      if (channel === joined) { element("load-older").disabled = true; element("leave").disabled = false; }
    });
    joined.join()
      .receive("ok", function (response) {
        if (channel !== joined) { return; }
        if (response.token) { saveToken(nickname, response.token); }
        var first = !joinedBefore;
        joinedBefore = true;
        setJoined(true);
        if (first) {
          appendMessages(response.messages || []);
          advanceSynced(newestId);
        } else {
          resumePage(joined, sentAfter, response);
        }
        currentNickname = response.nickname || nickname;
        flushOutbox();
        if (first) { element("message").focus(); }
      })
      .receive("error", function (response) {
        if (channel !== joined) { return; }
        var reason = response.reason || "refused";
        if (!retried && (reason === "invalid nickname token" || reason === "nickname token expired")) {
          saveToken(nickname, null);
          join(nickname, room, true);
          return;
        }
        showError("Could not join " + topic + ": " + reason);
      })
      .receive("timeout", function () {
        if (channel !== joined) { return; }
        showError("Joining " + topic + " timed out; retrying…");
      });
  }

  function start() {
    socket.onOpen(function () { setStatus("connected"); });
    socket.onClose(function () { setStatus("connecting"); });
    setStatus("connecting");
    socket.connect();

    element("join-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var nickname = element("nickname").value.trim();
      var room = element("room").value.trim();
      if (!nickname || !room) { showError("Pick a nickname and a room."); return; }
      join(nickname, room);
    });

    element("leave").addEventListener("click", function () {
      if (channel) { channel.leave(); channel = null; }
      resetRoom();
      setJoined(false);
      element("room-title").textContent = "Not in a room";
    });

    element("message-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = element("message");
      var body = input.value.trim();
      if (!body || !channel) { return; }
      var entry = { key: nextKey(), body: body, sending: false };
      outbox.push(entry);
      renderOutbox();
      sendEntry(entry);
      input.value = "";
      lastTypingSent = 0;
    });

    element("message").addEventListener("input", function () {
      var now = Date.now();
      if (!channel || channel.state !== "joined" || now - lastTypingSent < 2000) { return; }
      lastTypingSent = now;
      channel.push("typing", {});
    });

    // /?nickname=ann&room=lobby fills the form and joins at once (links, demos, smoke tests).
    var query = new URLSearchParams(window.location.search);
    if (query.get("nickname") && query.get("room")) {
      element("nickname").value = query.get("nickname");
      element("room").value = query.get("room");
      join(query.get("nickname"), query.get("room"));
    }

    element("load-older").addEventListener("click", function () {
      if (!channel || oldestId === null) { return; }
      var button = element("load-older");
      button.disabled = true;
      channel.push("history", { before: oldestId })
        .receive("ok", function (response) {
          var messages = response.messages || [];
          prependMessages(messages);
          button.disabled = false;
          if (messages.length === 0) { button.textContent = "No older messages"; }
        })
        .receive("error", function (response) {
          showError("Could not load older messages: " + (response.reason || "error"));
          button.disabled = false;
        })
        .receive("timeout", function () { button.disabled = false; });
    });
  }

  // The page's socket is exposed for the console and browser tests (they hold its reconnection).
  window.SiteflowChat = { Socket: Socket, Presence: Presence, socket: socket };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
