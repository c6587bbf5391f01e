/* The agenda builder's reordering (conferences/agenda_builder.html).

   Each item has a handle (a button, shown only when this script runs): drag it with the mouse,
   a pen or a finger (pointer events), or focus it and press the up and down arrow keys, which
   move the item while the focus stays on it; #agenda-announce says the new position. Each move
   sends the whole order once (agenda_reorder), with the order it started from, one request at a
   time; the server's answer (the builder block) replaces the block once no move is waiting, so
   the running total and times follow. Without JavaScript the "Move up/down" buttons post. */
(function () {
  "use strict";

  let drag = null;
  let chain = Promise.resolve();
  let waiting = 0;

  function builder() { return document.getElementById("agenda-builder"); }
  function list() { return document.getElementById("agenda-items"); }
  function items() { return Array.from(list().querySelectorAll(".agenda-item")); }
  function order() { return items().map((li) => li.dataset.itemId); }

  function enhance(root) {
    root.querySelectorAll(".agenda-handle, [data-print]").forEach((el) => { el.hidden = false; });
    showFieldsOfKind();
  }

  // The add form shows the case field for case items and the issue field for district issues.
  function showFieldsOfKind() {
    const kind = document.getElementById("id_kind");
    if (!kind) return;
    document.querySelectorAll("#agenda-add [data-kinds]").forEach((field) => {
      field.hidden = !field.dataset.kinds.split(" ").includes(kind.value);
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target.id === "id_kind") showFieldsOfKind();
  });

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function announce(text) {
    const region = document.getElementById("agenda-announce");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(() => { region.textContent = text; }, 50);
  }

  function announceMove(item) {
    const all = items();
    const template = builder().dataset.moved || "";
    announce(template
      .replace("{title}", item.dataset.title || "")
      .replace("{position}", String(all.indexOf(item) + 1))
      .replace("{count}", String(all.length)));
  }

  function focusHandle(itemId) {
    const handle = document.querySelector("#item-" + itemId + " .agenda-handle");
    if (handle) handle.focus();
  }

  function replaceBuilder(html, focusId) {
    const parsed = new DOMParser().parseFromString(html, "text/html");
    const fresh = parsed.getElementById("agenda-builder");
    const current = builder();
    if (!fresh || !current) return false;
    const node = document.importNode(fresh, true);
    current.replaceWith(node);
    if (window.htmx) window.htmx.process(node);
    enhance(node);
    if (focusId) focusHandle(focusId);
    return true;
  }

  async function send(focusId) {
    const ol = list();
    const previous = ol.dataset.order;
    const wanted = order().join(",");
    if (wanted === previous) return;
    const response = await fetch(ol.dataset.reorderUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRFToken": csrfToken(),
        "HX-Request": "true",
      },
      body: new URLSearchParams({ order: wanted, previous: previous }),
    });
    const html = await response.text();
    if (response.ok) {
      const stored = new DOMParser().parseFromString(html, "text/html").getElementById("agenda-items");
      if (stored) ol.dataset.order = stored.dataset.order;
      // Later moves are waiting: keep what the user sees; the last answer replaces the block.
      if (waiting <= 1) replaceBuilder(html, focusId);
    } else {
      const shown = replaceBuilder(html, focusId);
      const reason = shown && builder().querySelector("[role=alert]");
      announce(reason ? reason.textContent.trim() : (builder() && builder().dataset.failed) || "");
    }
  }

  // While moves are being saved, <html data-agenda-saving> (for styles and tests).
  function save(focusId) {
    waiting += 1;
    document.documentElement.dataset.agendaSaving = "true";
    chain = chain
      .then(() => send(focusId))
      .catch(() => { const b = builder(); if (b) announce(b.dataset.failed || ""); })
      .finally(() => {
        waiting -= 1;
        if (waiting === 0) delete document.documentElement.dataset.agendaSaving;
      });
  }

  // Dragging with pointer events (mouse, pen, touch).
  document.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest && event.target.closest(".agenda-handle");
    if (!handle || event.button !== 0) return;
    event.preventDefault();
    const item = handle.closest(".agenda-item");
    drag = { item: item, before: order().join(",") };
    item.classList.add("is-dragging");
    handle.focus();
  });

  document.addEventListener("pointermove", (event) => {
    if (!drag) return;
    event.preventDefault();
    // Near the top or bottom of the window, scroll, so a long agenda can be crossed.
    const edge = 48;
    if (event.clientY < edge) window.scrollBy(0, -16);
    else if (event.clientY > window.innerHeight - edge) window.scrollBy(0, 16);
    const others = items().filter((li) => li !== drag.item);
    let before = null;
    for (const li of others) {
      const box = li.getBoundingClientRect();
      if (event.clientY < box.top + box.height / 2) { before = li; break; }
    }
    if (before !== drag.item.nextElementSibling && before !== drag.item) {
      list().insertBefore(drag.item, before);
    }
  });

  function endDrag() {
    if (!drag) return;
    const item = drag.item;
    const moved = order().join(",") !== drag.before;
    item.classList.remove("is-dragging");
    drag = null;
    focusHandle(item.dataset.itemId);
    if (moved) {
      announceMove(item);
      save(item.dataset.itemId);
    }
  }
  document.addEventListener("pointerup", endDrag);
  document.addEventListener("pointercancel", endDrag);

  // The keyboard: arrow keys on a focused handle. The neighbour is moved, not the item, so the
  // focus never leaves the handle.
  document.addEventListener("keydown", (event) => {
    const handle = event.target.closest && event.target.closest(".agenda-handle");
    if (!handle || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    event.preventDefault();
    const item = handle.closest(".agenda-item");
    const ol = item.parentElement;
    if (event.key === "ArrowUp") {
      const previous = item.previousElementSibling;
      if (!previous) return;
      ol.insertBefore(previous, item.nextElementSibling);
    } else {
      const next = item.nextElementSibling;
      if (!next) return;
      ol.insertBefore(next, item);
    }
    handle.focus();
    announceMove(item);
    save(item.dataset.itemId);
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  // What the server says after adding or removing an item (HX-Trigger: agendaAnnounce).
  document.addEventListener("agendaAnnounce", (event) => announce(event.detail.value || ""));

  // New content from htmx (after adding an item, changing minutes...) gets its handles too.
  document.addEventListener("htmx:load", (event) => enhance(event.target));
  enhance(document);
})();
