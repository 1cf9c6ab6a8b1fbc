// Keyboard shortcuts and page swaps without reloads for the trainer's plain HTML forms.
// Every rule lives on the server: this file only clicks the page's own buttons and forms.
"use strict";

(function () {
  let shownAt = performance.now();
  let timer = null;
  let busy = false;

  function typing(target) {
    if (!target || !target.tagName) return false;
    const tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select") return true;
    if (tag !== "input") return false;
    return !["checkbox", "radio", "submit", "button", "hidden"].includes(target.type);
  }

  function press(name) {
    const control = document.querySelector('[data-key="' + name + '"]');
    if (!control) return false;
    control.click();
    return true;
  }

  function toggleHelp() {
    const dialog = document.getElementById("keys-help");
    if (!dialog) return;
    if (dialog.open) dialog.close();
    else dialog.showModal();
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (event.key === "?") {
      if (typing(target)) return;
      event.preventDefault();
      toggleHelp();
      return;
    }
    if (typing(target)) return;
    // The time zone prompt's buttons answer Enter and Space themselves, on every page.
    if (target.closest && target.closest("[data-timezone-prompt]")) return;
    const onCheckbox = target && target.type === "checkbox";
    if (event.key === " " || event.key === "Enter") {
      if (event.key === " " && onCheckbox) return;
      if (press("reveal") || (event.key === "Enter" && press("accept"))) {
        event.preventDefault();
      }
      return;
    }
    const keys = { "1": "1", "2": "2", "3": "3", "4": "4", u: "undo", s: "suspend", b: "bury" };
    const name = keys[event.key.toLowerCase()];
    if (name && press(name)) event.preventDefault();
  }

  function showTimer() {
    const clock = document.querySelector("[data-timer-start]");
    if (timer) clearInterval(timer);
    if (!clock) return;
    const tick = function () {
      const seconds = Math.floor((performance.now() - shownAt) / 1000);
      const minutes = Math.floor(seconds / 60);
      clock.textContent = minutes + ":" + String(seconds % 60).padStart(2, "0");
      clock.classList.toggle("over", seconds > Number(clock.dataset.target || 120));
    };
    tick();
    timer = setInterval(tick, 1000);
  }

  // The suggestion and its reasons come from the server, which holds the rating rules.
  function watchRubric() {
    const form = document.querySelector("form[data-suggest-url]");
    if (!form) return;
    const picked = function (name) {
      return Array.from(form.querySelectorAll('input[name="' + name + '"]:checked'))
        .map(function (box) { return box.value; })
        .join(",");
    };
    const update = async function () {
      const query = new URLSearchParams({
        ticked: picked("points"),
        optional: picked("optional"),
        flags: picked("flags"),
        duration_ms: String(Math.round(performance.now() - shownAt)),
      });
      const response = await fetch(form.dataset.suggestUrl + "&" + query.toString(), { credentials: "same-origin" });
      if (!response.ok) return;
      const suggestion = await response.json();
      form.querySelector("[data-suggestion]").textContent = suggestion.explanation;
    };
    form.addEventListener("change", update);
  }

  // The browser's time zone, offered until the learner answers; the server checks the name.
  function offerBrowserZone() {
    let zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return;
    }
    if (!zone) return;
    const prompt = document.querySelector("[data-timezone-prompt]");
    if (prompt && zone !== prompt.dataset.current) {
      prompt.querySelector("[data-browser-zone]").textContent = zone;
      prompt.querySelector('input[name="timezone"]').value = zone;
      prompt.hidden = false;
    }
    const use = document.querySelector("[data-browser-zone-for]");
    const field = use && document.getElementById(use.dataset.browserZoneFor);
    if (field && field.value !== zone) {
      use.textContent = "Use this browser's time zone (" + zone + ")";
      use.hidden = false;
      use.addEventListener("click", function () {
        field.value = zone;
        use.hidden = true;
        field.focus();
      });
    }
  }

  function init() {
    const page = document.getElementById("main").dataset.page;
    if (page === "question") shownAt = performance.now();
    showTimer();
    watchRubric();
    const focus = document.querySelector("#main [data-error-summary], #main [autofocus]");
    if (focus) focus.focus();
  }

  function swap(html, url) {
    const next = new DOMParser().parseFromString(html, "text/html");
    const main = next.getElementById("main");
    if (!main) {
      window.location.href = url;
      return;
    }
    document.getElementById("main").replaceWith(document.adoptNode(main));
    document.title = next.title;
    init();
  }

  async function submit(event) {
    const form = event.target;
    if (!form.matches || !form.matches("form[data-swap]")) return;
    event.preventDefault();
    if (busy) return;
    busy = true;
    const data = new FormData(form);
    if (event.submitter && event.submitter.name) data.set(event.submitter.name, event.submitter.value);
    if (data.has("duration_ms")) data.set("duration_ms", String(Math.round(performance.now() - shownAt)));
    const params = new URLSearchParams(data);
    const method = (form.getAttribute("method") || "get").toUpperCase();
    const action = form.getAttribute("action");
    try {
      const response =
        method === "GET"
          ? await fetch(action + "?" + params.toString(), { credentials: "same-origin" })
          : await fetch(action, {
              method: "POST",
              body: params,
              credentials: "same-origin",
              headers: { "X-CSRFToken": data.get("csrf_token") || "" },
            });
      const html = await response.text();
      history.pushState({}, "", response.url);
      swap(html, response.url);
    } catch (error) {
      form.submit();
    } finally {
      busy = false;
    }
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("submit", submit);
  document.addEventListener("click", function (event) {
    if (event.target.closest('[data-key="help"]')) toggleHelp();
  });
  window.addEventListener("popstate", function () {
    window.location.reload();
  });
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("DOMContentLoaded", offerBrowserZone);
})();
