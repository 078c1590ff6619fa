// The intake form (登记来电): nothing typed is ever lost, Enter never submits, the main
// actions have keyboard shortcuts, the category tree is searchable, and an article chosen
// as the answer proposes its category. The form works without this script.
"use strict";

(function () {
  const form = document.getElementById("intake-form");
  if (!form) return;
  const FIELDS = ["caller_phone", "caller_name", "request_type", "category", "urgency", "channel",
                  "area", "address", "content", "answer", "article_id"];
  const MAX_AGE_MS = 12 * 3600 * 1000;  // a draft older than a shift is not offered back
  const key = form.dataset.draftKey;
  const status = document.getElementById("draft-status");
  const chosen = document.getElementById("article-chosen");

  // --- the draft, kept in this browser while the operator types ----------------------------
  // A session that expired, or a page whose CSRF token expired, sends the operator through
  // the sign-in page (or back here): the draft brings the ticket back as it was.
  function readDraft() {
    try {
      const draft = JSON.parse(localStorage.getItem(key) || "null");
      return draft && Date.now() - draft.at < MAX_AGE_MS ? draft : null;
    } catch (err) {
      return null;
    }
  }

  function saveDraft() {
    const values = {};
    FIELDS.forEach((name) => { if (form.elements[name]) values[name] = form.elements[name].value; });
    values.article_chosen = chosen ? chosen.textContent : "";
    const typed = ["caller_phone", "caller_name", "address", "content", "answer"].some((n) => values[n]);
    try {
      if (typed) localStorage.setItem(key, JSON.stringify({at: Date.now(), values}));
      else localStorage.removeItem(key);
    } catch (err) { /* storage full or disabled: the server still keeps a refused form */ }
  }

  function clearButton() {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = "清空重填";
    button.addEventListener("click", () => {
      try { localStorage.removeItem(key); } catch (err) { /* nothing kept */ }
      window.location.href = window.location.pathname;
    });
    return button;
  }

  function restoreDraft() {
    const draft = readDraft();
    if (!draft || form.dataset.refused) return;  // a refused form comes back from the server
    const typed = ["caller_phone", "content", "answer"].some((n) => form.elements[n] && form.elements[n].value);
    if (typed) return;
    FIELDS.forEach((name) => {
      const field = form.elements[name];
      if (field && draft.values[name] !== undefined) field.value = draft.values[name];
    });
    if (chosen) chosen.textContent = draft.values.article_chosen || "";
    ["caller_phone", "content"].forEach((name) => {
      form.elements[name].dispatchEvent(new Event("change"));
      form.elements[name].dispatchEvent(new Event("input"));
    });
    const when = new Date(draft.at).toLocaleTimeString("zh-CN", {hour: "2-digit", minute: "2-digit"});
    status.textContent = `已恢复 ${when} 未提交的登记内容，请核对后提交。`;
    status.classList.add("restored");
    status.append(" ", clearButton());
  }

  // --- Enter in a one-line field never submits ----------------------------------------------
  form.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key !== "Enter" || event.isComposing || target.tagName !== "INPUT") return;
    if (["submit", "button", "checkbox", "radio"].includes(target.type)) return;
    event.preventDefault();
    if (target.id === "category-filter") pickFirstCategory();
  });

  // --- the category tree: filtered by typing, proposed by a chosen article --------------------
  const category = document.getElementById("category");
  const filter = document.getElementById("category-filter");
  const proposed = document.getElementById("category-proposed");

  function filterCategories() {
    const text = filter.value.trim();
    category.querySelectorAll("optgroup").forEach((group) => {
      let shown = 0;
      group.querySelectorAll("option").forEach((option) => {
        const match = !text || option.dataset.search.includes(text);
        option.hidden = !match;
        if (match) shown += 1;
      });
      group.hidden = shown === 0;
    });
  }

  function pickFirstCategory() {
    const first = category.querySelector("optgroup:not([hidden]) option:not([hidden])");
    if (first) {
      category.value = first.value;
      category.dispatchEvent(new Event("change"));
      category.focus();
    }
  }

  function proposeCategory(code, name) {
    proposed.replaceChildren();
    if (!code || !category.querySelector(`option[value="${CSS.escape(code)}"]`)) return;
    if (!category.value) {
      category.value = code;
      proposed.textContent = `已按知识条目设为「${name}」，可修改。`;
    } else if (category.value !== code) {
      const use = document.createElement("button");
      use.type = "button";
      use.className = "link";
      use.textContent = "改用此分类";
      use.addEventListener("click", () => {
        category.value = code;
        proposed.textContent = `已改为「${name}」。`;
        saveDraft();
      });
      proposed.append(`知识条目的分类是「${name}」 `, use);
    }
  }

  if (filter && category) {
    filter.addEventListener("input", filterCategories);
    category.addEventListener("change", () => { proposed.replaceChildren(); });
  }

  // --- suggestions: one is highlighted; Alt+N / Alt+P move, Alt+D answers with it ------------
  const box = document.getElementById("kb-suggestions");
  let current = 0;

  function items() {
    return Array.from(box.querySelectorAll("ol.suggestions > li"));
  }

  function highlight(index) {
    const list = items();
    if (!list.length) return;
    current = (index + list.length) % list.length;
    list.forEach((li, i) => {
      li.classList.toggle("highlighted", i === current);
      if (i === current) li.setAttribute("aria-current", "true");
      else li.removeAttribute("aria-current");
    });
    list[current].scrollIntoView({block: "nearest"});
  }

  new MutationObserver(() => { if (items().length && !box.querySelector("li.highlighted")) highlight(0); })
    .observe(box, {childList: true});

  box.addEventListener("click", (event) => {
    const use = event.target.closest(".use-article");
    if (!use) return;
    proposeCategory(use.dataset.category, use.dataset.categoryName);
    saveDraft();
  });

  function answerWithHighlighted() {
    const list = items();
    if (!list.length) {
      status.textContent = "没有可用的知识库建议。";
      return;
    }
    list[current].querySelector(".use-article").click();
    document.getElementById("answer-button").click();
  }

  // --- keyboard shortcuts (shown on the page) -------------------------------------------------
  const SHORTCUTS = {
    KeyS: () => form.querySelector("button[value=submit]").click(),
    KeyD: answerWithHighlighted,
    KeyK: () => document.getElementById("kb-search").focus(),
    KeyN: () => highlight(current + 1),
    KeyP: () => highlight(current - 1),
  };
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const action = SHORTCUTS[event.code];
    if (!action) return;
    event.preventDefault();
    action();
  });

  // Keep the draft as the operator types; the ticket page forgets it once it is recorded.
  let timer = null;
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(saveDraft, 300); });
  form.addEventListener("change", saveDraft);
  form.addEventListener("submit", saveDraft);
  restoreDraft();
  if (form.dataset.refused) saveDraft();
})();
