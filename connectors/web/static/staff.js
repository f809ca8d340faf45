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
    $("entry").hidden = !loggedIn;
    if (loggedIn) loadServices();
    (loggedIn ? $("message") : $("login-name")).focus();
  }

  function add(text, who) {
    var msg = el("div", "msg msg-" + who, text);
    $("log").appendChild(msg);
    $("log").scrollTop = $("log").scrollHeight;
    return msg;
  }

  function addImage(url) {
    var chart = url.indexOf("data:image/png;base64,") === 0;
    var image = el("img", chart ? "chart" : "photo");
    image.src = url;
    image.alt = chart ? "Pieteikumi pa nedēļām pēdējās 12 nedēļās, pa veidiem (diagramma)"
                      : "Iedzīvotāja pievienotais foto";
    $("log").appendChild(image);
    $("log").scrollTop = $("log").scrollHeight;
  }

  function authorised(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + sessionStorage.getItem(TOKEN) },
      body: JSON.stringify(body),
    });
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
        if (typeof m.image === "string" && (m.image.indexOf("data:image/png;base64,") === 0 ||
            m.image.indexOf("/media/") === 0)) addImage(m.image);
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

  /* Jauns pieteikums: a registration staff enter for a citizen who came, phoned or wrote. */
  var KINDS = { complaint: "sūdzība", suggestion: "ierosinājums", service_request: "pakalpojuma pieprasījums" };
  var chosenByHand = { kind: false, service: false };
  var suggested = null;
  // One key per form fill: sending the same entry twice (a double click, a retry) stores it once.
  function newAttempt() { return Date.now().toString(36) + Math.random().toString(36).slice(2); }
  var attempt = newAttempt();
  var classifyTimer = null;
  var servicesLoaded = false;

  function loadServices() {
    if (servicesLoaded) return;
    fetch("/staff/services").then(function (response) { return response.json(); }).then(function (data) {
      (data.services || []).forEach(function (service) {
        var option = el("option", "", service.name);
        option.value = service.id;
        $("entry-service").appendChild(option);
      });
      servicesLoaded = true;
    }).catch(function () { /* the select keeps "bez pakalpojuma" */ });
  }

  function classify() {
    var text = $("entry-text").value.trim();
    if (text.split(/\s+/).length < 3) return;
    authorised(botUrl + "/webhooks/staff/classify", { text: text }).then(function (response) {
      return response.ok ? response.json() : {};
    }).then(function (result) {
      suggested = KINDS[result.kind] ? result.kind : null;
      if (suggested && !chosenByHand.kind) $("entry-kind").value = suggested;
      if (result.service && !chosenByHand.service && $("entry-service").querySelector('option[value="' + result.service + '"]')) {
        $("entry-service").value = result.service;
      }
      $("entry-kind-hint").textContent = suggested ? "Klasifikators iesaka: " + KINDS[suggested] + "." : "";
    }).catch(function () { /* no suggestion: staff choose the kind */ });
  }

  $("entry-text").addEventListener("input", function () {
    clearTimeout(classifyTimer);
    classifyTimer = setTimeout(classify, 600);
  });
  $("entry-text").addEventListener("change", function () { clearTimeout(classifyTimer); classify(); });
  $("entry-kind").addEventListener("change", function () { chosenByHand.kind = true; });
  $("entry-service").addEventListener("change", function () { chosenByHand.service = true; });

  function entryResult(text, isError) {
    $("entry-result").textContent = text;
    $("entry-result").className = "entry-result" + (isError ? " error" : "");
  }

  $("entry-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!$("entry-text").value.trim()) { entryResult("Ierakstiet aprakstu.", true); $("entry-text").focus(); return; }
    if (!$("entry-kind").value) { entryResult("Izvēlieties veidu.", true); $("entry-kind").focus(); return; }
    entryResult("Reģistrēju…", false);
    authorised("/staff/registrations", {
      channel: $("entry-channel").value, kind: $("entry-kind").value, kind_suggested: suggested,
      service: $("entry-service").value || null, text: $("entry-text").value,
      consent: $("entry-consent").checked, contact: $("entry-contact").value, address: $("entry-address").value,
      submission: attempt,
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      if (result.status === 401) { logout("Sesija beigusies. Lūdzu, piesakieties vēlreiz."); return; }
      if (result.status !== 200) { entryResult(result.body.error || "Neizdevās reģistrēt.", true); return; }
      $("entry-form").reset();
      attempt = newAttempt();
      chosenByHand = { kind: false, service: false };
      suggested = null;
      $("entry-kind-hint").textContent = "";
      entryResult(result.body.receipt, false);
      $("entry-result").focus();
    }).catch(function () { entryResult("Nav savienojuma. Pieteikums nav reģistrēts; mēģiniet vēlreiz.", true); });
  });
  show(Boolean(sessionStorage.getItem(TOKEN)));
})();
