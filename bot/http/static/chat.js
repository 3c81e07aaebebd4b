// Maatjes web chat. Every message is rendered with textContent: nothing typed is parsed as HTML.
"use strict";

(function () {
  const app = document.getElementById("app");
  // The page's own texts, in the reader's language; replaced as a whole when they switch.
  const T = {};
  function readTexts(texts) {
    T.title = texts["title"] || document.title;
    T.send = texts["send"] || app.dataset.tSend;
    T.sendChoices = texts["send_choices"] || app.dataset.tSendChoices;
    T.chooseSeveral = texts["choose_several"] || app.dataset.tChooseSeveral;
    T.charsLeft = texts["chars_left"] || app.dataset.tCharsLeft;
    T.network = texts["error.network"] || app.dataset.tNetwork;
    T.session = texts["error.session"] || app.dataset.tSession;
    T.tooLarge = texts["error.too_large"] || app.dataset.tTooLarge;
  }
  try { readTexts(JSON.parse(document.getElementById("page-texts").textContent)); } catch (e) { readTexts({}); }
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
  const cursorKey = storeKey + ":inbox";
  let history = [];
  let maxLength = null;
  let busy = false;
  // The last inbox message this tab has shown from the live updates: the server keeps each
  // one until the page says so, so a reply lost on the way comes again and none comes twice.
  let cursor = 0;

  try { history = JSON.parse(sessionStorage.getItem(storeKey) || "[]"); } catch (e) { history = []; }
  cursor = Number(sessionStorage.getItem(cursorKey)) || 0;

  function save() {
    try {
      sessionStorage.setItem(storeKey, JSON.stringify(history.slice(-200)));
      sessionStorage.setItem(cursorKey, String(cursor));
    } catch (e) { /* full */ }
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

  // The composer sticks to the bottom of the window: whatever scrolls into view keeps clear of it.
  function composerRoom() { return composer.offsetHeight + 12; }
  function keepClearOfComposer() {
    document.documentElement.style.scrollPaddingBottom = composerRoom() + "px";
  }
  keepClearOfComposer();
  if (window.ResizeObserver) new ResizeObserver(keepClearOfComposer).observe(composer);
  window.addEventListener("resize", keepClearOfComposer);

  function showNewest() {
    const last = transcript.lastElementChild;
    if (!last) return;
    last.scrollIntoView({ block: "end" });
    // scroll-padding is only a hint to some engines: measure, and move the rest of the way
    const hidden = last.getBoundingClientRect().bottom - (composer.getBoundingClientRect().top - 8);
    if (hidden > 0) window.scrollBy(0, hidden);
  }

  function settle(messages, onlyQuestions) {
    const asks = messages.filter(function (m) { return m.kind === "question"; });
    if (!onlyQuestions || asks.length) {
      maxLength = null;
      asks.forEach(function (m) { if (m.max_length) maxLength = m.max_length; });
      updateCounter();
    }
    showNewest();
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
    stopListening();  // this turn takes what waits; a poll answer on its way is not shown too
    body.after = cursor;
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
    listen();
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
    switchLanguage(data.language);
    input.focus();
  }

  // --- one language per page: the header, labels and buttons follow the conversation ---------
  async function switchLanguage(language) {
    if (!language || language === document.documentElement.lang) return;
    let result;
    try { result = await call("GET", "/api/chat/texts"); } catch (e) { return; }
    if (result.status !== 200 || !result.data.texts) return;  // the next answer tries again
    document.documentElement.lang = result.data.language || language;
    const texts = result.data.texts;
    readTexts(texts);
    document.querySelectorAll("[data-text]").forEach(function (node) {
      if (texts[node.dataset.text] !== undefined) node.textContent = texts[node.dataset.text];
    });
    document.querySelectorAll("[data-text-placeholder]").forEach(function (node) {
      if (texts[node.dataset.textPlaceholder] !== undefined) node.placeholder = texts[node.dataset.textPlaceholder];
    });
    showUnread();
  }

  // --- live: what arrives in the inbox shows on the open page ---------------------------------
  // Long polling against the database: any instance answers, a restart only makes us wait.
  let unread = 0;
  let listening = null;  // the AbortController of the request on its way
  let retry = null;
  let failures = 0;

  function showUnread() {
    document.title = unread ? "(" + unread + ") " + T.title : T.title;
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && unread) { unread = 0; showUnread(); }
  });

  function stopListening() {
    if (retry) { clearTimeout(retry); retry = null; }
    if (listening) { const c = listening; listening = null; c.abort(); }
  }

  function arrived(data) {
    const messages = data.messages || [];
    messages.forEach(function (m) { renderBot(m, true); history.push({ who: "bot", message: m }); });
    if (typeof data.cursor === "number" && data.cursor > cursor) cursor = data.cursor;
    save();
    if (!messages.length) return;
    settle(messages, true);
    if (document.visibilityState === "hidden") { unread += messages.length; showUnread(); }
    switchLanguage(data.language);
  }

  function listen() {
    if (app.dataset.live !== "true" || busy || listening || retry) return;
    const controller = new AbortController();
    listening = controller;
    fetch("/api/chat/updates?wait=20&after=" + cursor, {
      credentials: "same-origin", cache: "no-store", signal: controller.signal,
    }).then(async function (response) {
      if (response.status === 401) { listening = null; showError(T.session); return; }
      if (!response.ok) throw new Error("status " + response.status);
      const data = await response.json();
      if (listening !== controller) return;  // a turn started meanwhile: it shows these
      listening = null;
      failures = 0;
      arrived(data);
      listen();
    }).catch(function () {
      if (listening !== controller) return;
      listening = null;
      // network down or the server restarting: ask again, less and less often (up to 15 s)
      failures += 1;
      const delay = Math.min(15000, 1000 * Math.pow(2, failures - 1)) * (0.75 + Math.random() / 2);
      retry = setTimeout(function () { retry = null; listen(); }, delay);
    });
  }
  window.addEventListener("online", function () { if (retry) { clearTimeout(retry); retry = null; listen(); } });

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
  call("GET", "/api/chat?after=" + cursor).then(function (result) {
    if (result.status === 401) { showError(T.session); return; }
    const messages = result.data.messages || [];
    messages.forEach(function (m) { renderBot(m, true); history.push({ who: "bot", message: m }); });
    save();
    settle(messages);
    switchLanguage(result.data.language);
    input.focus();
    listen();
  }).catch(function () { showError(T.network); listen(); });
})();
