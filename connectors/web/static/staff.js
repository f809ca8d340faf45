/*
 * Palīgs staff page: log in on the portal, then chat with the staff channel of the Rasa
 * server using the short-lived token. Everything is rendered as text, never as HTML.
 */
(function () {
  "use strict";
  var botUrl = document.body.dataset.botUrl;
  var TOKEN = "paligs.staff.token";
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function show(loggedIn) {
    $("login").hidden = loggedIn;
    $("chat").hidden = !loggedIn;
    (loggedIn ? $("message") : $("login-name")).focus();
  }

  function add(text, who) {
    var msg = el("div", "msg msg-" + who, text);
    $("log").appendChild(msg);
    $("log").scrollTop = $("log").scrollHeight;
    return msg;
  }

  function addImage(url) {
    var image = el("img", "chart");
    image.src = url;
    image.alt = "Pieteikumi pa nedēļām pēdējās 12 nedēļās, pa veidiem (diagramma)";
    $("log").appendChild(image);
    $("log").scrollTop = $("log").scrollHeight;
  }

  function addButtons(buttons) {
    var row = el("div", "choices");
    buttons.forEach(function (button) {
      var choice = el("button", "", button.title);
      choice.type = "button";
      choice.addEventListener("click", function () { send(button.payload, button.title); });
      row.appendChild(choice);
    });
    $("log").appendChild(row);
  }

  function logout(message) {
    sessionStorage.removeItem(TOKEN);
    $("log").textContent = "";
    $("login-status").textContent = message || "";
    show(false);
  }

  function send(message, shown) {
    add(shown || message, "user");
    fetch(botUrl + "/webhooks/staff/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + sessionStorage.getItem(TOKEN) },
      body: JSON.stringify({ message: message }),
    }).then(function (response) {
      if (response.status === 401) { logout("Sesija beigusies. Lūdzu, piesakieties vēlreiz."); return []; }
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (messages) {
      messages.forEach(function (m) {
        if (m.text) add(m.text, "bot");
        if (typeof m.image === "string" && m.image.indexOf("data:image/png;base64,") === 0) addImage(m.image);
        if (m.buttons && m.buttons.length) addButtons(m.buttons);
      });
    }).catch(function () { add("Nav savienojuma ar asistentu. Mēģiniet vēlreiz.", "bot"); });
  }

  $("login").addEventListener("submit", function (event) {
    event.preventDefault();
    $("login-status").textContent = "Pārbaudu…";
    fetch("/staff/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ login: $("login-name").value, password: $("login-password").value }),
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      $("login-password").value = "";
      if (!result.ok) { $("login-status").textContent = result.body.error || "Pieteikšanās neizdevās."; return; }
      sessionStorage.setItem(TOKEN, result.body.token);
      $("login-status").textContent = "";
      $("who").textContent = "Pieteicies: " + result.body.name;
      show(true);
    }).catch(function () { $("login-status").textContent = "Nav savienojuma. Mēģiniet vēlreiz."; });
  });

  $("send").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("message").value.trim();
    if (!text) return;
    $("message").value = "";
    send(text);
  });

  $("logout").addEventListener("click", function () {
    var token = sessionStorage.getItem(TOKEN);
    logout("");
    if (token) {  // the portal revokes the token, so a copy of it is worthless from now on
      fetch("/staff/logout", { method: "POST", headers: { "Authorization": "Bearer " + token } })
        .catch(function () { $("login-status").textContent = "Izrakstīšanās netika apstiprināta; aizveriet pārlūku."; });
    }
  });
  show(Boolean(sessionStorage.getItem(TOKEN)));
})();
