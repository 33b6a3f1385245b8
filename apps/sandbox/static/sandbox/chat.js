// Bot chat page (sandbox): polls the conversation, sends messages and button presses.
// Plain JS, no framework. Text from the bot arrives as server-escaped HTML ("html");
// everything else is inserted with textContent.
(function () {
  "use strict";

  const POLL_MS = 1000;
  const app = document.getElementById("sandbox-chat-app");
  if (!app) return;

  const messagesBox = document.getElementById("sandbox-messages");
  const replyKeyboardBox = document.getElementById("sandbox-reply-keyboard");
  const composer = document.getElementById("sandbox-composer");
  const input = document.getElementById("sandbox-text");
  const statusLine = document.getElementById("sandbox-status");
  let lastSnapshot = "";
  let busy = false;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function time(iso) {
    return new Date(iso).toLocaleTimeString();
  }

  function deliveryNode(delivery) {
    if (!delivery) return el("span", "", "delivering…");
    return el("span", delivery.ok ? "ok" : "failed", delivery.message);
  }

  function renderPersona(item) {
    const box = el("div", "sandbox-item from-persona");
    const bubble = el("div", "sandbox-bubble" + (item.deleted ? " deleted" : ""), item.text);
    box.appendChild(bubble);
    const meta = el("div", "sandbox-meta", time(item.time) + " · #" + item.message_id + " · ");
    meta.appendChild(deliveryNode(item.delivery));
    box.appendChild(meta);
    return box;
  }

  function renderPress(item) {
    const box = el("div", "sandbox-item from-persona");
    box.appendChild(
      el("div", "sandbox-bubble sandbox-press",
        "pressed “" + item.button_text + "” on #" + item.message_id + " (" + item.data + ")")
    );
    const meta = el("div", "sandbox-meta", time(item.time) + " · ");
    meta.appendChild(deliveryNode(item.delivery));
    box.appendChild(meta);
    if (item.answer) {
      const text = item.answer.text || (item.answer.url ? "open " + item.answer.url : "answered");
      box.appendChild(
        el("div", "sandbox-answer" + (item.answer.show_alert ? " alert" : ""),
          (item.answer.show_alert ? "alert: " : "bot: ") + text)
      );
    } else {
      box.appendChild(el("div", "sandbox-answer muted", "not answered yet (spinner still turning)"));
    }
    return box;
  }

  function renderKeyboard(item) {
    const keyboard = el("div", "sandbox-keyboard");
    item.keyboard.forEach(function (row) {
      const rowNode = el("div", "sandbox-keyboard-row");
      row.forEach(function (button) {
        let node;
        if (button.kind === "callback_data") {
          node = el("button", "button", button.text);
          node.type = "button";
          node.disabled = item.deleted;
          node.addEventListener("click", function () {
            press(item.message_id, button.callback_data);
          });
        } else if (button.kind === "url") {
          node = el("a", "button", button.text + " ↗");
          node.href = button.url;
          node.target = "_blank";
          node.rel = "noopener noreferrer";
        } else {
          node = el("button", "button", button.text);
          node.type = "button";
          node.disabled = true;
          node.title = "Not simulated by the sandbox";
        }
        rowNode.appendChild(node);
      });
      keyboard.appendChild(rowNode);
    });
    return keyboard;
  }

  function renderBot(item) {
    const box = el("div", "sandbox-item from-bot");
    const bubble = el("div", "sandbox-bubble" + (item.deleted ? " deleted" : ""));
    if (item.photo_url) {
      const image = document.createElement("img");
      image.src = item.photo_url;
      image.alt = "photo sent by the bot";
      bubble.appendChild(image);
    }
    const text = document.createElement("div");
    text.innerHTML = item.html; // escaped on the server (apps/sandbox/formatting.render_html)
    bubble.appendChild(text);
    box.appendChild(bubble);
    if (item.keyboard.length) box.appendChild(renderKeyboard(item));
    let meta = time(item.time) + " · #" + item.message_id;
    if (item.edited) meta += " · edited ×" + item.edit_count;
    if (item.deleted) meta += " · deleted by the bot";
    const metaNode = el("div", "sandbox-meta", meta);
    if (item.previous_texts.length) metaNode.title = "Before: " + item.previous_texts.join(" → ");
    box.appendChild(metaNode);
    return box;
  }

  function renderReplyKeyboard(rows) {
    replyKeyboardBox.replaceChildren();
    replyKeyboardBox.hidden = !rows;
    if (!rows) return;
    rows.forEach(function (row) {
      const rowNode = el("div", "sandbox-keyboard-row");
      row.forEach(function (text) {
        const button = el("button", "button", text);
        button.type = "button";
        button.addEventListener("click", function () { send(text); });
        rowNode.appendChild(button);
      });
      replyKeyboardBox.appendChild(rowNode);
    });
  }

  function render(data) {
    const nearBottom =
      messagesBox.scrollHeight - messagesBox.scrollTop - messagesBox.clientHeight < 40;
    messagesBox.replaceChildren();
    if (!data.items.length) {
      messagesBox.appendChild(el("p", "muted", "No messages yet. Try /start."));
    }
    data.items.forEach(function (item) {
      if (item.kind === "bot") messagesBox.appendChild(renderBot(item));
      else if (item.kind === "press") messagesBox.appendChild(renderPress(item));
      else messagesBox.appendChild(renderPersona(item));
    });
    renderReplyKeyboard(data.reply_keyboard);
    if (nearBottom) messagesBox.scrollTop = messagesBox.scrollHeight;
  }

  function showStatus(text, failed) {
    statusLine.textContent = text;
    statusLine.classList.toggle("failed", Boolean(failed));
  }

  async function poll() {
    try {
      const response = await fetch(app.dataset.conversationUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      // A lapsed session is redirected to the admin login page instead of answering JSON.
      if (response.redirected || response.status === 403) {
        showStatus("Your session ended: reload the page and log in again.", true);
        return;
      }
      if (response.ok) {
        const snapshot = await response.text();
        if (snapshot !== lastSnapshot) {
          lastSnapshot = snapshot;
          render(JSON.parse(snapshot));
        }
      }
    } catch (error) {
      showStatus("Lost contact with the server: " + error.message, true);
    }
    window.setTimeout(poll, POLL_MS);
  }

  async function post(url, payload) {
    if (busy) return;
    busy = true;
    showStatus("Delivering to the webhook…", false);
    try {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
        },
        body: JSON.stringify(payload),
      });
      const data = await response.json().catch(function () { return {}; });
      if (!response.ok) {
        showStatus(data.error || "The page refused that (" + response.status + ").", true);
      } else {
        showStatus(data.delivery.message, !data.delivery.ok);
      }
      return response.ok;
    } catch (error) {
      showStatus("Could not send: " + error.message, true);
      return false;
    } finally {
      busy = false;
    }
  }

  async function send(text) {
    if (!text.trim()) return;
    const sent = await post(app.dataset.sendUrl, { text: text });
    if (sent && input.value === text) input.value = "";
  }

  function press(messageId, callbackData) {
    post(app.dataset.pressUrl, { message_id: messageId, callback_data: callbackData });
  }

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    send(input.value);
  });

  poll();
})();
