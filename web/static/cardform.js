// The card form: shows the fields of the chosen kind and a live preview as the learner types.
// The preview is rendered and sanitised by the server (POST /api/cards/preview); this file only
// places the HTML it returns, never HTML of its own making from what was typed.
"use strict";

(function () {
  const DELAY_MS = 250;

  function chosenKind(form) {
    const checked = form.querySelector('input[name="kind"]:checked');
    return checked ? checked.value : "fact";
  }

  function showKindFields(form) {
    const kind = chosenKind(form);
    form.querySelectorAll("[data-kinds]").forEach(function (field) {
      field.hidden = !field.dataset.kinds.split(" ").includes(kind);
    });
  }

  function element(tag, className, html) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (html !== undefined) node.innerHTML = html; // sanitised by the server
    return node;
  }

  function list(title, items, className) {
    if (!items.length) return null;
    const section = element("section", "rubric-preview");
    section.appendChild(element("h3", "", "")).textContent = title;
    const ol = section.appendChild(element("ol", className));
    items.forEach(function (item) { ol.appendChild(element("li", "", item)); });
    return section;
  }

  function show(target, data) {
    const parts = [];
    data.sides.forEach(function (side, index) {
      const card = element("article", "card");
      if (data.sides.length > 1) card.appendChild(element("p", "meta")).textContent = "Card " + (index + 1);
      card.appendChild(element("div", "front", side.front));
      const back = card.appendChild(element("section", "back", side.back));
      back.setAttribute("aria-label", "Answer");
      parts.push(card);
    });
    if (data.why) {
      const why = element("section", "why", data.why);
      why.insertBefore(element("h3"), why.firstChild).textContent = "Why";
      parts.push(why);
    }
    [list("Rubric", data.points, "points"), list("Optional points", data.optional, "points"),
      list("Red flags", data.red_flags, "points flags")].forEach(function (part) {
      if (part) parts.push(part);
    });
    target.replaceChildren.apply(target, parts);
    target.dataset.state = "ready";
    target.dataset.updates = String(Number(target.dataset.updates || "0") + 1);
  }

  function body(form) {
    const data = { kind: chosenKind(form) };
    ["prompt", "answer", "why", "text", "style", "points", "optional", "red_flags"].forEach(function (name) {
      const field = form.elements.namedItem(name);
      if (field) data[name] = field.value;
    });
    return data;
  }

  function start() {
    const form = document.querySelector("form[data-preview]");
    const target = document.getElementById("preview");
    if (!form || !target) return;
    const token = document.querySelector('meta[name="csrf-token"]').content;
    let timer = null;
    let sent = 0;

    function refresh() {
      const mine = ++sent;
      target.dataset.state = "loading";
      fetch(form.dataset.preview, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify(body(form)),
        credentials: "same-origin",
      })
        .then(function (response) {
          if (!response.ok) throw new Error("preview refused: " + response.status);
          return response.json();
        })
        .then(function (data) { if (mine === sent) show(target, data); })
        .catch(function () {
          if (mine !== sent) return;
          target.dataset.state = "error";
          target.replaceChildren(element("p", "error"));
          target.firstChild.textContent = "The preview is not available right now; saving still works.";
        });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(refresh, DELAY_MS);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", function (event) {
      if (event.target.name === "kind") showKindFields(form);
      later();
    });
    showKindFields(form);
    refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
