// Maatjes web chat. Every message is rendered with textContent: nothing typed is parsed as HTML.
"use strict";

(function () {
  const app = document.getElementById("app");
  const T = {
    send: app.dataset.tSend,
    sendChoices: app.dataset.tSendChoices,
    chooseSeveral: app.dataset.tChooseSeveral,
    charsLeft: app.dataset.tCharsLeft,
    network: app.dataset.tNetwork,
    session: app.dataset.tSession,
    tooLarge: app.dataset.tTooLarge,
  };
  const storeKey = "maatjes-transcript:" + (app.dataset.account || "");

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  async function call(method, url, body) {
    const response = await fetch(url, {
      method: method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      credentials: "same-origin",
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    return { status: response.status, data: data };
  }

  // --- sign in / out -------------------------------------------------------------------------
  const signinForm = document.getElementById("signin-form");
  if (signinForm) {
    signinForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      const input = document.getElementById("signin-name");
      const error = document.getElementById("signin-error");
      error.hidden = true;
      try {
        const result = await call("POST", "/session", { name: input.value });
        if (result.status === 200) { window.location.reload(); return; }
        error.textContent = result.data.error || T.network;
      } catch (e) {
        error.textContent = T.network;
      }
      error.hidden = false;
    });
  }
  const emailForm = document.getElementById("email-form");
  if (emailForm) {
    emailForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      const input = document.getElementById("signin-email");
      const sent = document.getElementById("email-sent");
      const error = document.getElementById("email-error");
      sent.hidden = true;
      error.hidden = true;
      try {
        const lang = encodeURIComponent(document.documentElement.lang || "nl");
        const result = await call("POST", "/signin/email?lang=" + lang, { email: input.value });
        if (result.status === 200) {
          sent.textContent = result.data.message;
          sent.hidden = false;
          return;
        }
        error.textContent = result.data.error || T.network;
      } catch (e) {
        error.textContent = T.network;
      }
      error.hidden = false;
    });
  }
  const signout = document.getElementById("signout");
  if (signout) {
    signout.addEventListener("click", async function () {
      sessionStorage.removeItem(storeKey);
      await call("DELETE", "/session");
      window.location.href = "/";
    });
  }
  if (app.dataset.signedIn !== "true") return;

  // --- the conversation ----------------------------------------------------------------------
  const transcript = document.getElementById("transcript");
  const composer = document.getElementById("composer");
  const input = document.getElementById("message");
  const counter = document.getElementById("counter");
  const composerError = document.getElementById("composer-error");
  let history = [];
  let maxLength = null;
  let busy = false;

  try { history = JSON.parse(sessionStorage.getItem(storeKey) || "[]"); } catch (e) { history = []; }

  function save() {
    try { sessionStorage.setItem(storeKey, JSON.stringify(history.slice(-200))); } catch (e) { /* full */ }
  }

  function disableOldActions() {
    transcript.querySelectorAll(".actions button, .actions input").forEach(function (b) { b.disabled = true; });
  }

  // Bot texts may name a group conversation (".../groups/12"): only that exact shape becomes a
  // link, built from text nodes, so nothing else in a message is ever turned into markup.
  function bubble(text) {
    const node = el("p", "bubble");
    // Only two kinds of our own links become clickable: group threads and the personal data
    // download ("mijn gegevens"). Texts carry them absolute (under the public URL, for people in
    // Slack and Teams too); here they open on this same server whatever that URL is.
    const links = /((?:https?:\/\/[^\s/]+)?(?:\/privacy\/export\/[A-Za-z0-9._-]+|\/groups\/\d+))/;
    String(text || "").split(links).forEach(function (part) {
      const download = /^(?:https?:\/\/[^\s/]+)?(\/privacy\/export\/[A-Za-z0-9._-]+)$/.exec(part);
      const thread = /^(?:https?:\/\/[^\s/]+)?(\/groups\/\d+)$/.exec(part);
      if (download) {
        const link = el("a", null, part);
        // The link works once: it opens a page whose button downloads the file (so opening it
        // spends nothing), in a new tab so this conversation stays in view.
        link.setAttribute("href", download[1]);
        link.setAttribute("target", "_blank");
        link.setAttribute("rel", "noreferrer noopener");
        link.classList.add("export-link");
        node.appendChild(link);
      } else if (thread) {
        const link = el("a", null, part);
        link.setAttribute("href", thread[1]);
        node.appendChild(link);
      } else if (part) {
        node.appendChild(document.createTextNode(part));
      }
    });
    return node;
  }

  function renderUser(text) {
    const item = el("li", "msg from-person");
    item.appendChild(el("p", "bubble", text));
    transcript.appendChild(item);
  }

  function renderChoices(container, message, live) {
    const actions = el("div", "actions");
    if (message.multiple) {
      const fieldset = el("fieldset", "multi");
      fieldset.appendChild(el("legend", "visually-hidden", message.text));
      message.choices.forEach(function (choice, i) {
        const id = "c-" + Date.now() + "-" + i;
        const label = el("label", "check");
        const box = document.createElement("input");
        box.type = "checkbox"; box.value = choice.value; box.id = id; box.disabled = !live;
        label.htmlFor = id;
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + choice.label));
        fieldset.appendChild(label);
      });
      actions.appendChild(fieldset);
      const hint = el("p", "hint", T.chooseSeveral);
      actions.appendChild(hint);
      const submit = el("button", "primary", T.sendChoices);
      submit.type = "button"; submit.disabled = !live;
      submit.addEventListener("click", function () {
        const picked = Array.from(fieldset.querySelectorAll("input:checked")).map(function (b) { return b.value; });
        const labels = message.choices.filter(function (c) { return picked.indexOf(c.value) >= 0; })
          .map(function (c) { return c.label; });
        if (picked.length) send({ choices: picked }, labels.join(", "));
      });
      actions.appendChild(submit);
    } else {
      message.choices.forEach(function (choice) {
        const button = el("button", "choice", choice.label);
        button.type = "button"; button.disabled = !live;
        button.dataset.value = choice.value;
        if (choice.description) button.title = choice.description;
        button.addEventListener("click", function () { send({ choice: choice.value }, choice.label); });
        actions.appendChild(button);
        if (choice.description) actions.appendChild(el("p", "choice-help", choice.description));
      });
    }
    container.appendChild(actions);
  }

  function renderBot(message, live) {
    const item = el("li", "msg from-bot" + (message.tone === "error" ? " error-msg" : "") + (message.tone === "notice" ? " notice" : ""));
    if (message.kind === "card") {
      const card = el("div", "card");
      card.appendChild(el("h2", null, message.title));
      const list = el("dl");
      message.fields.forEach(function (f) {
        list.appendChild(el("dt", null, f.label));
        list.appendChild(el("dd", null, f.value));
      });
      card.appendChild(list);
      if (message.footer) card.appendChild(el("p", "footer", message.footer));
      item.appendChild(card);
      if (message.choices && message.choices.length) renderChoices(item, message, live);
    } else {
      item.appendChild(bubble(message.text));
      if (message.hint) item.appendChild(el("p", "hint", message.hint));
      if (message.kind === "question" && message.choices && message.choices.length) renderChoices(item, message, live);
    }
    transcript.appendChild(item);
  }

  function settle(messages) {
    maxLength = null;
    messages.forEach(function (m) { if (m.kind === "question" && m.max_length) maxLength = m.max_length; });
    updateCounter();
    const last = transcript.lastElementChild;
    if (last) last.scrollIntoView({ block: "end" });
  }

  function updateCounter() {
    if (!maxLength) { counter.textContent = ""; counter.classList.remove("over"); return; }
    const left = maxLength - input.value.length;
    counter.textContent = T.charsLeft.replace("{count}", String(left));
    counter.classList.toggle("over", left < 0);
  }

  function showError(text) {
    composerError.textContent = text;
    composerError.hidden = false;
  }

  async function send(body, shown) {
    if (busy) return;
    busy = true;
    composerError.hidden = true;
    const typed = input.value;
    disableOldActions();
    renderUser(shown);
    history.push({ who: "person", text: shown });
    if (body.text !== undefined) input.value = "";
    let result;
    try {
      result = await call("POST", "/api/chat", body);
    } catch (e) {
      result = null;
    }
    busy = false;
    if (!result || result.status >= 500 || result.status === 413 || result.status === 401) {
      // Nothing is lost: the typed text goes back into the box.
      transcript.removeChild(transcript.lastElementChild);
      history.pop();
      if (body.text !== undefined) input.value = typed;
      const text = !result ? T.network : result.status === 413 ? T.tooLarge :
        result.status === 401 ? T.session : (result.data.error || T.network);
      showError(text);
      enableLastActions();
      updateCounter();
      return;
    }
    const data = result.data;
    if (data.accepted === false && body.text !== undefined) input.value = typed;
    (data.messages || []).forEach(function (m) { renderBot(m, true); history.push({ who: "bot", message: m }); });
    save();
    settle(data.messages || []);
    if (data.language) document.documentElement.lang = data.language;
    input.focus();
  }

  function enableLastActions() {
    const last = transcript.lastElementChild;
    if (last) last.querySelectorAll(".actions button, .actions input").forEach(function (b) { b.disabled = false; });
  }

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) { input.focus(); return; }
    send({ text: text }, text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); composer.requestSubmit(); }
  });
  input.addEventListener("input", updateCounter);

  // Restore this tab's transcript, then ask the server where we are (it may have restarted).
  history.forEach(function (h) {
    if (h.who === "person") renderUser(h.text); else renderBot(h.message, false);
  });
  call("GET", "/api/chat").then(function (result) {
    if (result.status === 401) { showError(T.session); return; }
    const messages = result.data.messages || [];
    messages.forEach(function (m) { renderBot(m, true); history.push({ who: "bot", message: m }); });
    save();
    settle(messages);
    input.focus();
  }).catch(function () { showError(T.network); });
})();
