// The web chat page: talks to Rasa's socket.io channel with the socket.io client vendored from npm
// (web/vendor/socket.io.min.js, scripts/web_assets.sh), shows its own chrome in the visitor's
// language (web/strings.json), and renders every message as text. No inline script: the server
// sends a CSP that allows scripts from this origin only.
//
// What it does, in the order a visit goes:
// - the session id and the messages are kept in local storage ("chat_session"): a reload shows the
//   history and asks the server to resume the same session (it resumes only ids it issued);
// - a new session is greeted by sending "/greet" (not shown), with the browser language as the hint;
// - bot messages are text (line breaks kept, http(s) addresses as links), their buttons are real
//   <button>s that stay under the message that carries them; a press sends the button's payload and
//   shows its title as the visitor's message;
// - "typing…" is up from a send until the reply's messages have stopped arriving;
// - each new bot message is also put in a polite live region, so screen readers read it out.
(function () {
  "use strict";

  var FALLBACK = "en";
  var STORAGE_KEY = "chat_session";
  // Messages kept in local storage (and so shown after a reload): the most recent ones.
  var HISTORY_LIMIT = 200;
  // "typing…" is taken down when no reply comes for this long,
  var TYPING_TIMEOUT_MS = 30000;
  // and this long after the last message of a reply: a turn's messages come within milliseconds of
  // each other, or a little later when a second action runs.
  var TURN_QUIET_MS = 700;
  var GREETING = "/greet";
  var BRIEFING = "/brief";
  // http(s) addresses in bot text become links; closing punctuation after one is not part of it.
  var ADDRESS = /https?:\/\/[^\s<>"'「」『』（）、。]+/g;
  var TRAILING = /[.,;:!?)\]}'"]+$/;

  function byId(id) { return document.getElementById(id); }

  // The interface language: the first of the browser's languages we have strings for.
  function pickLanguage(strings) {
    var wanted = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").toLowerCase().split("-")[0];
      if (code === "in") code = "id"; // the old ISO code for Indonesian, still sent by some systems
      if (Object.prototype.hasOwnProperty.call(strings, code) && code.charAt(0) !== "_") return code;
    }
    return FALLBACK;
  }

  function applyChrome(lang, ui) {
    document.documentElement.lang = lang;
    document.title = ui.pageTitle;
    byId("title").textContent = ui.widgetTitle;
    byId("subtitle").textContent = ui.widgetSubtitle;
    byId("messages-label").textContent = ui.conversation;
    byId("input-label").textContent = ui.inputLabel;
    byId("input").placeholder = ui.inputPlaceholder;
    byId("send").setAttribute("aria-label", ui.send);
    byId("brief").textContent = ui.briefing;
    byId("typing").textContent = ui.typing;
    byId("connection").textContent = ui.connecting;
  }

  // ---- local storage: {session_id, messages: [{from: "bot"|"user", text, buttons}]} ----

  function loadState() {
    try {
      var stored = JSON.parse(window.localStorage.getItem(STORAGE_KEY));
      if (stored && typeof stored.session_id === "string" && Array.isArray(stored.messages)) {
        return { session_id: stored.session_id, messages: stored.messages.map(cleanMessage).filter(Boolean) };
      }
    } catch (error) { /* unreadable or no storage: a new conversation */ }
    return { session_id: null, messages: [] };
  }

  function saveState(state) {
    state.messages = state.messages.slice(-HISTORY_LIMIT);
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (error) { /* storage full or off: the conversation goes on, a reload starts anew */ }
  }

  // A message as the page keeps it, from a stored one or from the bot's bot_uttered payload
  // (Rasa's socket.io output: text, and buttons or quick_replies); null when there is nothing to show.
  function cleanMessage(raw) {
    if (!raw || typeof raw !== "object") return null;
    var text = typeof raw.text === "string" ? raw.text : "";
    var given = Array.isArray(raw.buttons) ? raw.buttons : (Array.isArray(raw.quick_replies) ? raw.quick_replies : []);
    var buttons = [];
    for (var i = 0; i < given.length; i++) {
      var button = given[i];
      if (button && typeof button.title === "string" && typeof button.payload === "string" && button.title) {
        buttons.push({ title: button.title, payload: button.payload });
      }
    }
    if (!text.trim() && !buttons.length) return null;
    return { from: raw.from === "user" ? "user" : "bot", text: text, buttons: buttons };
  }

  // ---- rendering: text only, through the DOM (never HTML) ----

  function appendText(parent, text) {
    var last = 0;
    text.replace(ADDRESS, function (match, offset) {
      var address = match.replace(TRAILING, "");
      if (offset > last) parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = document.createElement("a");
      link.href = address;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.textContent = address;
      parent.appendChild(link);
      last = offset + address.length;
      return match;
    });
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function renderMessage(message, ui) {
    var item = document.createElement("li");
    item.className = "message message-" + message.from;
    // Who speaks, for screen readers (bubbles are told apart by their place and colour).
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = (message.from === "user" ? ui.you : ui.bot) + ": ";
    item.appendChild(who);
    if (message.text.trim()) {
      var bubble = document.createElement("p");
      bubble.className = "bubble";
      appendText(bubble, message.text);
      item.appendChild(bubble);
    }
    if (message.buttons.length) {
      var row = document.createElement("div");
      row.className = "buttons";
      message.buttons.forEach(function (button) {
        var element = document.createElement("button");
        element.type = "button";
        element.className = "reply";
        element.textContent = button.title;
        element.setAttribute("data-payload", button.payload);
        row.appendChild(element);
      });
      item.appendChild(row);
    }
    return item;
  }

  // ---- "typing…" ----

  function typingIndicator(element) {
    var waiting = false;
    var timer = null;
    function stop() {
      waiting = false;
      clearTimeout(timer);
      element.hidden = true;
    }
    function start() {
      waiting = true;
      clearTimeout(timer);
      timer = setTimeout(stop, TYPING_TIMEOUT_MS);
      element.hidden = false;
    }
    function replied() {
      if (!waiting) return;
      clearTimeout(timer);
      timer = setTimeout(stop, TURN_QUIET_MS);
    }
    return { start: start, replied: replied, stop: stop };
  }

  function start(strings) {
    if (typeof window.io !== "function") throw new Error("the socket.io client did not load");
    var lang = pickLanguage(strings);
    var ui = strings[lang];
    applyChrome(lang, ui);

    var messages = byId("messages");
    var log = byId("log");
    var announcer = byId("announcer");
    var connection = byId("connection");
    var input = byId("input");
    var typing = typingIndicator(byId("typing"));
    // The bot takes the first message's language from this hint when the message itself has
    // none (metadata["language"], bot/language/hints.py), so the greeting comes in the browser language.
    var hint = { language: navigator.language || lang };

    var state = loadState();
    var confirmed = null;     // the session id the server confirmed on this connection
    var pending = [];         // payloads sent before that
    var turnStart = null;     // the first bot message of the current reply

    function scrollToEnd() {
      messages.scrollTop = messages.scrollHeight;
    }
    // A reply longer than the list shows is scrolled to its start, not to its end.
    function scrollToReply() {
      var top = turnStart ? turnStart.offsetTop - 8 : messages.scrollHeight;
      messages.scrollTop = Math.min(top, messages.scrollHeight - messages.clientHeight);
    }

    function show(message) {
      var item = renderMessage(message, ui);
      log.appendChild(item);
      return item;
    }

    function add(message) {
      state.messages.push(message);
      saveState(state);
      return show(message);
    }

    function announce(message) {
      if (!message.text.trim()) return;
      var line = document.createElement("p");
      line.textContent = ui.bot + ": " + message.text;
      announcer.appendChild(line);
      while (announcer.childNodes.length > 3) announcer.removeChild(announcer.firstChild);
    }

    function emit(payload) {
      socket.emit("user_uttered", { message: payload, customData: hint, session_id: confirmed });
    }

    // payload: what the bot receives; shown: what the conversation shows as the visitor's message.
    function send(payload, shown) {
      if (shown) add({ from: "user", text: shown, buttons: [] });
      turnStart = null;
      scrollToEnd();
      typing.start();
      if (confirmed) emit(payload); else pending.push(payload);
    }

    state.messages.forEach(show);
    scrollToEnd();

    var socket = window.io(window.location.origin, { path: "/socket.io/" });

    socket.on("connect", function () {
      socket.emit("session_request", { session_id: state.session_id });
    });
    socket.on("session_confirm", function (remote) {
      var id = typeof remote === "string" ? remote : (remote && remote.session_id);
      if (typeof id !== "string" || !id) return;
      confirmed = id;
      connection.hidden = true;
      if (id !== state.session_id) {
        // A new conversation (first visit, or the server did not resume the stored one).
        state = { session_id: id, messages: [] };
        saveState(state);
        while (log.firstChild) log.removeChild(log.firstChild);
        turnStart = null;
        typing.start();
        emit(GREETING);
      }
      pending.splice(0).forEach(emit);
    });
    socket.on("bot_uttered", function (data) {
      var message = cleanMessage(data);
      if (message) {
        message.from = "bot";
        var item = add(message);
        if (!turnStart) turnStart = item;
        scrollToReply();
        announce(message);
      }
      typing.replied();
    });
    socket.on("disconnect", function () {
      confirmed = null;
      typing.stop();
      connection.textContent = ui.reconnecting;
      connection.hidden = false;
    });

    byId("form").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      send(text, text);
    });
    byId("brief").addEventListener("click", function () {
      send(BRIEFING, ui.briefing);
    });
    // Buttons stay under their message: any of them can be pressed at any time.
    log.addEventListener("click", function (event) {
      var button = event.target && event.target.closest ? event.target.closest("button.reply") : null;
      if (button && log.contains(button)) send(button.getAttribute("data-payload"), button.textContent);
    });
  }

  function fail(reason) {
    var element = byId("connection");
    element.hidden = false;
    element.className = "connection chat-error";
    element.textContent = "The chat could not start: " + reason;
  }

  fetch("strings.json", { credentials: "same-origin" })
    .then(function (reply) {
      if (!reply.ok) throw new Error("strings.json: HTTP " + reply.status);
      return reply.json();
    })
    .then(start)
    .catch(function (error) { fail(error.message); });
})();
