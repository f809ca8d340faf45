/*
 * Palīgs chat widget. Embed with one tag:
 *   <script src="https://portal.example.lv/widget/paligs-widget.js"
 *           data-bot-url="https://bot.example.lv" data-title="Palīgs" data-lang="lv" defer></script>
 * It talks to Rasa's socket.io channel, keeps the conversation across page reloads of the tab
 * (sessionStorage: a shared public computer does not show it to the next visitor) and
 * renders everything as text (never as HTML). While the panel is open it asks the portal every
 * few seconds for news of this conversation (a decision on a registration made here).
 * "Pievienot foto" uploads a photo to the portal (POST <widget base>/photo?session=…), which
 * checks and stores it and answers a token the conversation then carries to the bot.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script.src.replace(/[^/]*$/, "");
  var config = {
    botUrl: script.dataset.botUrl || location.protocol + "//" + location.hostname + ":5005",
    title: script.dataset.title || "Palīgs",
    lang: script.dataset.lang || "lv",
    maxMb: Number(script.dataset.maxMb || 10),
  };
  var TEXT = {
    open: "Atvērt tērzēšanu ar asistentu",
    close: "Aizvērt tērzēšanu",
    input: "Jūsu ziņa",
    send: "Sūtīt",
    placeholder: "Uzrakstiet savu jautājumu…",
    typing: "Palīgs raksta…",
    offline: "Nav savienojuma ar asistentu. Mēģinu savienoties atkārtoti…",
    online: "Savienojums ar asistentu atjaunots.",
    you: "Jūs",
    bot: "Palīgs",
    log: "Saruna ar asistentu",
    photo: "Pievienot foto",
    photoHint: "JPEG, PNG vai WebP, līdz ",
    photoSending: "Sūtu foto…",
    photoFailed: "Foto neizdevās nosūtīt. Mēģiniet vēlreiz.",
    welcome: "Labdien! Esmu Palīgs. Uzrakstiet savu sūdzību, ierosinājumu, pakalpojuma pieprasījumu vai jautājumu.",
  };
  var STORE = "paligs.";
  var sessionId = sessionStorage.getItem(STORE + "session");
  var transcript = JSON.parse(sessionStorage.getItem(STORE + "transcript") || "[]");
  var socket = null;
  var typingTimer = null;
  var newsTimer = null;
  var NEWS_SECONDS = 5;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var css = el("link", { rel: "stylesheet", href: base + "paligs-widget.css" });
  document.head.appendChild(css);

  var root = el("div", { class: "paligs", lang: config.lang });
  var launcher = el("button", { type: "button", class: "paligs-launcher", "aria-expanded": "false",
    "aria-controls": "paligs-panel" }, TEXT.open);
  var panel = el("section", { id: "paligs-panel", class: "paligs-panel", "aria-label": config.title, hidden: "" });
  var header = el("div", { class: "paligs-header" });
  var heading = el("h2", { class: "paligs-title" }, config.title);
  var closeButton = el("button", { type: "button", class: "paligs-close", "aria-label": TEXT.close }, "×");
  var log = el("div", { class: "paligs-log", role: "log", "aria-live": "polite", "aria-label": TEXT.log, tabindex: "0" });
  var status = el("p", { class: "paligs-status", role: "status", "aria-live": "polite" });
  var form = el("form", { class: "paligs-form" });
  var label = el("label", { for: "paligs-input", class: "paligs-label" }, TEXT.input);
  var input = el("textarea", { id: "paligs-input", class: "paligs-input", rows: "2", placeholder: TEXT.placeholder,
    maxlength: "5000", autocomplete: "off" });
  var send = el("button", { type: "submit", class: "paligs-send" }, TEXT.send);
  var photoRow = el("div", { class: "paligs-photo" });
  var photoInput = el("input", { type: "file", id: "paligs-photo", class: "paligs-photo-input", accept: "image/*",
    "aria-describedby": "paligs-photo-hint" });
  var photoLabel = el("label", { for: "paligs-photo", class: "paligs-photo-label" }, TEXT.photo);
  var photoHint = el("span", { id: "paligs-photo-hint", class: "paligs-photo-hint" },
    TEXT.photoHint + String(config.maxMb).replace(".", ",") + " MB");
  photoRow.append(photoInput, photoLabel, photoHint);
  header.append(heading, closeButton);
  form.append(label, input, send, photoRow);
  panel.append(header, log, status, form);
  root.append(launcher, panel);
  document.body.appendChild(root);

  function save() {
    sessionStorage.setItem(STORE + "transcript", JSON.stringify(transcript.slice(-200)));
  }

  function render(entry) {
    var item = el("div", { class: "paligs-msg paligs-" + entry.from });
    item.appendChild(el("span", { class: "paligs-who" }, (entry.from === "user" ? TEXT.you : TEXT.bot) + ": "));
    item.appendChild(el("span", { class: "paligs-text" }, entry.text));
    log.appendChild(item);
    if (entry.buttons && entry.buttons.length) {
      var group = el("div", { class: "paligs-buttons", role: "group", "aria-label": entry.text.slice(0, 80) });
      entry.buttons.forEach(function (button) {
        var b = el("button", { type: "button", class: "paligs-choice" }, button.title);
        if (entry.answered) b.disabled = true;
        b.addEventListener("click", function () {
          entry.answered = true;
          group.querySelectorAll("button").forEach(function (other) { other.disabled = true; });
          sendMessage(button.payload, button.title);
          input.focus();
        });
        group.appendChild(b);
      });
      log.appendChild(group);
    }
    log.scrollTop = log.scrollHeight;
  }

  function add(entry) {
    transcript.push(entry);
    save();
    render(entry);
  }

  function setTyping(on) {
    clearTimeout(typingTimer);
    status.textContent = on ? TEXT.typing : "";
    if (on) typingTimer = setTimeout(function () { setTyping(false); }, 30000);
  }

  function sendMessage(payload, shown) {
    if (!payload.trim()) return;
    transcript.forEach(function (entry) { if (entry.buttons) entry.answered = true; });
    add({ from: "user", text: shown || payload });
    setTyping(true);
    socket.emit("user_uttered", { message: payload, session_id: sessionId });
  }

  function megabytes(size) {
    if (size < 1024 * 1024) return Math.max(1, Math.round(size / 1024)) + " KB";
    return (size / (1024 * 1024)).toFixed(1).replace(".", ",") + " MB";
  }

  function sendPhoto(file) {
    if (!sessionId || !socket) { status.textContent = TEXT.offline; return; }
    var shown = "📷 Foto" + (file.name ? " " + file.name : "") + " (" + megabytes(file.size) + ")";
    status.textContent = TEXT.photoSending + " (" + megabytes(file.size) + ")";
    fetch(base + "photo?session=" + encodeURIComponent(sessionId), {
      method: "POST", body: file, headers: { "Content-Type": file.type || "application/octet-stream" },
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      status.textContent = "";
      if (!result.ok) { add({ from: "bot", text: String(result.body.error || TEXT.photoFailed) }); return; }
      sendMessage("/inform" + JSON.stringify({ photo: result.body.token }), shown);
    }).catch(function () { status.textContent = ""; add({ from: "bot", text: TEXT.photoFailed }); });
  }

  photoInput.addEventListener("change", function () {
    var file = photoInput.files && photoInput.files[0];
    photoInput.value = "";
    if (file) sendPhoto(file);
    photoInput.focus();
  });

  function connect() {
    socket = io(config.botUrl, { transports: ["websocket"], reconnectionDelayMax: 10000 });
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: sessionId });
      if (root.dataset.offline) status.textContent = TEXT.online;
      delete root.dataset.offline;
      send.disabled = false;
    });
    socket.on("session_confirm", function (id) {
      sessionId = id;
      sessionStorage.setItem(STORE + "session", id);
    });
    socket.on("bot_uttered", function (message) {
      setTyping(false);
      var buttons = (message.quick_replies || message.buttons || []).map(function (b) {
        return { title: String(b.title), payload: String(b.payload) };
      });
      add({ from: "bot", text: String(message.text || ""), buttons: buttons });
    });
    socket.on("connect_error", offline);
    socket.on("disconnect", offline);
  }

  function offline() {
    setTyping(false);
    root.dataset.offline = "1";
    status.textContent = TEXT.offline;
    send.disabled = true;
  }

  function fetchNews() {
    if (!sessionId) return;
    fetch(base + "news?session=" + encodeURIComponent(sessionId), { cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : { news: [] }; })
      .then(function (data) {
        (data.news || []).forEach(function (text) { add({ from: "bot", text: String(text) }); });
      })
      .catch(function () { /* the portal is unreachable: try again at the next tick */ });
  }

  function open(show) {
    panel.hidden = !show;
    launcher.setAttribute("aria-expanded", String(show));
    sessionStorage.setItem(STORE + "open", show ? "1" : "");
    clearInterval(newsTimer);
    if (show) {
      if (!transcript.length) add({ from: "bot", text: TEXT.welcome });
      fetchNews();
      newsTimer = setInterval(fetchNews, NEWS_SECONDS * 1000);
      input.focus();
    } else {
      launcher.focus();
    }
  }

  launcher.addEventListener("click", function () { open(panel.hidden); });
  closeButton.addEventListener("click", function () { open(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") open(false); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    sendMessage(text);
    input.focus();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  function withSocketIo(ready) {
    if (window.io) return ready();
    var loader = el("script", { src: base + "socket.io.min.js" });
    loader.onload = ready;
    loader.onerror = offline;
    document.head.appendChild(loader);
  }

  transcript.forEach(render);
  withSocketIo(connect);
  if (sessionStorage.getItem(STORE + "open")) open(true);
})();
