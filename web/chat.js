// The web chat page: mounts the rasa-webchat widget (web/vendor/rasa-webchat.js) full-page and
// gives it chrome in the visitor's language (web/strings.json). No inline script: the server sends
// a CSP that allows scripts from this origin only.
(function () {
  "use strict";

  var FALLBACK = "en";
  // How long "typing…" may stay up without a reply before it is taken down.
  var TYPING_TIMEOUT_MS = 30000;

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

  // "typing…": shown from the moment the visitor sends (typed or a quick reply) until the bot's
  // reply is on screen, including the widget's own dots while it paces the reply's messages.
  function typingIndicator(element) {
    var waiting = false;
    var timer = null;

    function render() {
      var pacing = document.querySelector(".rw-typing-indication") !== null;
      element.hidden = !(waiting || pacing);
    }
    function start() {
      waiting = true;
      clearTimeout(timer);
      timer = setTimeout(stop, TYPING_TIMEOUT_MS);
      render();
    }
    function stop() {
      waiting = false;
      clearTimeout(timer);
      render();
    }
    // Capture phase: the widget submits its form with a non-bubbling event and clears the field.
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form && form.classList && form.classList.contains("rw-sender")) {
        var field = form.querySelector(".rw-new-message");
        if (field && field.value.trim() !== "") start();
      }
    }, true);
    document.addEventListener("click", function (event) {
      var reply = event.target && event.target.closest ? event.target.closest(".rw-reply") : null;
      if (reply) start();
    }, true);
    new MutationObserver(render).observe(document.body, { childList: true, subtree: true });
    return { start: start, stop: stop };
  }

  function mount(strings) {
    var lang = pickLanguage(strings);
    var text = strings[lang];
    document.documentElement.lang = lang;
    document.title = text.pageTitle;
    var typingElement = document.getElementById("typing");
    typingElement.textContent = text.typing;
    var typing = typingIndicator(typingElement);

    window.WebChat.default({
      socketUrl: window.location.origin,
      socketPath: "/socket.io/",
      // Local storage keeps the session id and the messages: a reload continues the conversation.
      params: { storage: "local" },
      // The bot takes the first message's language from this hint when the message itself has
      // none (metadata["language"], bot/language/hints.py), so the greeting comes in the browser language.
      customData: { language: navigator.language || lang },
      initPayload: "/greet",
      embedded: true,
      withRules: false,
      hideWhenNotConnected: false,
      showFullScreenButton: false,
      title: text.widgetTitle,
      subtitle: text.widgetSubtitle,
      inputTextFieldHint: text.inputPlaceholder,
      connectingText: text.connecting,
      // A short pause per message, long enough to read as a reply, not as a wait.
      customMessageDelay: function (message) {
        return Math.min(900, 250 + 4 * String(message || "").length);
      },
      onSocketEvent: {
        bot_uttered: typing.stop,
        disconnect: typing.stop
      }
    }, document.getElementById("chat"));
  }

  function fail(reason) {
    var element = document.getElementById("chat");
    element.className = "chat-error";
    element.textContent = "The chat could not start: " + reason;
  }

  fetch("strings.json", { credentials: "same-origin" })
    .then(function (reply) {
      if (!reply.ok) throw new Error("strings.json: HTTP " + reply.status);
      return reply.json();
    })
    .then(function (strings) {
      if (!window.WebChat || typeof window.WebChat.default !== "function") {
        throw new Error("the widget bundle did not load");
      }
      mount(strings);
    })
    .catch(function (error) { fail(error.message); });
})();
