// Small progressive enhancements; every page works without JavaScript.
"use strict";

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
  children.forEach((c) => node.append(c));
  return node;
}

// Intake: show the caller's earlier tickets as the operator types the number.
function setupCallerHistory() {
  const input = document.getElementById("caller_phone");
  const box = document.getElementById("caller-history");
  if (!input || !box) return;
  const url = input.dataset.historyUrl;
  const token = document.querySelector("input[name=csrf_token]");
  let last = "";
  const load = async () => {
    const phone = input.value.trim();
    if (phone === last) return;
    last = phone;
    if (phone.replace(/\D/g, "").length < 7) { showRepeat([]); box.textContent = "输入来电号码后显示该来电人的历史工单。"; return; }
    try {
      // The number goes in the body, never in the URL (proxies' access logs keep URLs).
      const response = await fetch(url, {
        method: "POST",
        body: JSON.stringify({phone}),
        headers: {Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": token ? token.value : ""},
      });
      const data = await response.json();
      box.replaceChildren();
      if (!response.ok) { box.textContent = (data.error && data.error.message_zh) || "查询失败。"; return; }
      showRepeat(data.repeat || []);
      if (!data.caller) { box.textContent = "新来电人，没有历史工单。"; return; }
      const nameField = document.getElementById("caller_name");
      if (nameField && !nameField.value && data.caller.name) nameField.value = data.caller.name;
      box.append(el("p", {}, `${data.caller.name || "来电人"}：共 ${data.total} 件历史工单`));
      const list = el("ul", {class: "history"});
      data.items.forEach((t) => {
        const link = el("a", {href: t.url}, t.number);
        const item = el("li", {}, link, ` ${t.created_at} ${t.request_type_label} · ${t.status_label}${t.overdue ? "（超时）" : ""}`);
        item.append(el("div", {class: "muted"}, t.content));
        list.append(item);
      });
      box.append(list);
    } catch (err) {
      box.textContent = "查询失败，请稍后重试。";
    }
  };
  input.addEventListener("input", debounce(load, 300));
  input.addEventListener("change", load);
  if (input.value) load();
}

// Intake: the caller has an open ticket from the last 30 days (重复来电): flag it beside the
// history, with one click to add this call to it as a note, or to record it and merge it.
function showRepeat(tickets) {
  const box = document.getElementById("repeat-caller");
  if (!box) return;
  box.replaceChildren();
  box.hidden = !tickets.length;
  if (!tickets.length) return;
  box.append(el("p", {class: "repeat-title"}, `重复来电：30 天内有 ${tickets.length} 件未办结工单`));
  tickets.forEach((t) => {
    const note = el("button", {type: "submit", form: "intake-form", name: "intent", value: `note:${t.number}`,
                               class: "small", title: "不新建工单，把本次来电的诉求内容作为备注补充到该工单"}, "补充到此工单");
    const merge = el("button", {type: "submit", form: "intake-form", name: "intent", value: `merge:${t.number}`,
                                class: "small", title: "登记本次来电，并作为重复件合并到该工单"}, "登记并合并");
    box.append(el("div", {class: "repeat-item"},
                  el("a", {href: t.url, target: "_blank"}, t.number), ` ${t.created_at} · ${t.status_label}`,
                  el("div", {class: "muted one-line"}, t.content), note, " ", merge));
  });
}

// 纠错 on a suggested article, sent in the background: the ticket being typed stays as it is.
function flagForm(r) {
  const token = document.querySelector("input[name=csrf_token]");
  const kinds = [["wrong", "内容有误"], ["outdated", "内容过时"]].map(([value, label]) =>
    el("label", {class: "inline-choice"}, el("input", {type: "radio", name: "kind", value}), ` ${label}`));
  const note = el("textarea", {name: "note", rows: "2", "aria-label": "纠错说明（必填）",
                               placeholder: "哪里有误或已过时，正确的应是什么（必填）"});
  const message = el("p", {class: "field-error", role: "alert"});
  message.hidden = true;
  const form = el("form", {method: "post", action: r.flag_url, novalidate: ""},
                  ...kinds, note, el("button", {type: "submit"}, "提交纠错"), message);
  const details = el("details", {class: "kb-flag"}, el("summary", {}, "纠错"), form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    let data = null;
    try {
      const response = await fetch(r.flag_url, {
        method: "POST",
        body: new FormData(form),
        headers: {Accept: "application/json", "X-CSRFToken": token ? token.value : ""},
      });
      if ((response.headers.get("Content-Type") || "").includes("application/json")) data = await response.json();
      if (response.ok && data) {
        details.replaceWith(el("p", {class: "flag-done", role: "status"}, data.message_zh));
        return;
      }
    } catch (err) {
      data = null;
    }
    button.disabled = false;
    message.textContent = (data && data.error && data.error.message_zh) || "纠错未提交，请刷新页面后重试。";
    message.hidden = false;
  });
  return details;
}

// Intake: knowledge-base articles for what the operator is typing; one click answers with it.
function setupSuggestions() {
  const content = document.getElementById("content");
  const box = document.getElementById("kb-suggestions");
  const answer = document.getElementById("answer");
  const articleId = document.getElementById("article_id");
  const chosen = document.getElementById("article-chosen");
  if (!content || !box || !content.dataset.suggestUrl) return;
  let last = "";
  const search = document.getElementById("kb-search");
  const load = async () => {
    const text = (search && search.value.trim()) || content.value.trim();
    if (text === last) return;
    last = text;
    if (text.length < 4) { box.textContent = "输入诉求内容后显示可直接答复的知识条目。"; return; }
    try {
      // The text goes in the body: a query string of a few hundred Chinese characters is
      // longer than servers accept, and a ticket's content may have 5,000.
      const token = document.querySelector("input[name=csrf_token]");
      const response = await fetch(content.dataset.suggestUrl, {
        method: "POST",
        body: new URLSearchParams({text, limit: "5"}),
        headers: {Accept: "application/json", "X-CSRFToken": token ? token.value : ""},
      });
      const data = await response.json();
      box.replaceChildren();
      if (!response.ok) { box.textContent = (data.error && data.error.message_zh) || "知识库暂时无法查询。"; return; }
      if (!data.results.length) { box.textContent = "没有相关的知识条目。"; return; }
      const list = el("ol", {class: "suggestions"});
      data.results.forEach((r) => {
        const snippet = el("div", {class: "snippet"});
        snippet.innerHTML = r.snippet;  // the server escapes the text; only <mark> is markup
        const use = el("button", {type: "button", class: "use-article", "data-id": String(r.id),
                                  "data-category": r.category || "", "data-category-name": r.category_name || ""}, "用此条答复");
        use.addEventListener("click", () => {
          articleId.value = String(r.id);
          answer.value = r.answer;
          chosen.textContent = `已引用知识条目：${r.title}`;
        });
        list.append(el("li", {}, el("a", {href: r.url, target: "_blank"}, r.title), snippet, use, flagForm(r)));
      });
      box.append(list);
    } catch (err) {
      box.textContent = "知识库暂时无法查询。";
    }
  };
  content.addEventListener("input", debounce(load, 400));
  if (search) search.addEventListener("input", debounce(load, 300));
  if (content.value) load();
}

// Intake drafts hold a caller's number and words: forgotten once the ticket is recorded, when
// the operator signs out, and after 12 hours whatever happens.
function forgetDrafts(all) {
  try {
    Object.keys(localStorage).filter((k) => k.startsWith("hotline.intake.")).forEach((k) => {
      let stale = all;
      try { stale = stale || Date.now() - JSON.parse(localStorage.getItem(k)).at > 12 * 3600 * 1000; } catch (err) { stale = true; }
      if (stale) localStorage.removeItem(k);
    });
  } catch (err) { /* storage unavailable: nothing was kept */ }
}

function forgetSavedDraft() {
  forgetDrafts(Boolean(document.body.dataset.intakeSaved));
  const logout = document.querySelector("form[data-logout]");
  if (logout) logout.addEventListener("submit", () => forgetDrafts(true));
}

// Destructive actions ask first: a form or button with data-confirm.
function setupConfirm() {
  document.addEventListener("submit", (event) => {
    const button = event.submitter;
    const message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
}

// Long texts folded with 展开 (the server marks them with .foldable).
function setupFolding() {
  document.querySelectorAll(".foldable").forEach((node) => {
    if (node.scrollHeight <= node.clientHeight + 4) return;
    const toggle = el("button", {type: "button", class: "link fold-toggle", "aria-expanded": "false"}, "展开");
    toggle.addEventListener("click", () => {
      const open = node.classList.toggle("unfolded");
      toggle.textContent = open ? "收起" : "展开";
      toggle.setAttribute("aria-expanded", String(open));
    });
    node.after(toggle);
  });
}

// Intake: the category and lead unit the centre's history suggests for what is typed; one
// click takes a suggested category. The dispatcher's page: one click takes a suggested unit.
function setupDispatchSuggestions() {
  document.querySelectorAll("button.use-unit").forEach((button) => {
    button.addEventListener("click", () => {
      const select = document.getElementById("lead_unit");
      if (select) { select.value = button.dataset.unit; select.focus(); }
    });
  });
  const content = document.getElementById("content");
  const box = document.getElementById("dispatch-suggestions");
  if (!content || !box || !content.dataset.dispatchUrl) return;
  const category = document.getElementById("category");
  const area = document.getElementById("area");
  let last = "";
  const load = async () => {
    const text = content.value.trim();
    const key = [text, area ? area.value : "", category ? category.value : ""].join("\u0000");
    if (key === last) return;
    last = key;
    if (text.length < 4) { box.textContent = "输入诉求内容后，按本中心历史工单建议诉求分类和主办单位。"; return; }
    try {
      const token = document.querySelector("input[name=csrf_token]");
      const body = new URLSearchParams({content: text, area: area ? area.value : "", category: category ? category.value : ""});
      const response = await fetch(content.dataset.dispatchUrl, {
        method: "POST", body, headers: {Accept: "application/json", "X-CSRFToken": token ? token.value : ""},
      });
      const data = await response.json();
      box.replaceChildren();
      if (!response.ok) { box.textContent = (data.error && data.error.message_zh) || "派单建议暂时无法获取。"; return; }
      if (!data.categories.length && !data.units.length) { box.textContent = "暂无建议（本中心尚无可学习的历史工单）。"; return; }
      if (data.categories.length) {
        const list = el("ol", {class: "dispatch-categories"});
        data.categories.slice(0, 3).forEach((c) => {
          const use = el("button", {type: "button", class: "link"}, c.name);
          use.addEventListener("click", () => {
            if (!category) return;
            category.value = c.code;
            category.dispatchEvent(new Event("change", {bubbles: true}));
          });
          list.append(el("li", {}, use, " ", el("span", {class: "muted"}, `${Math.round(c.score * 100)}%`)));
        });
        box.append(el("p", {class: "hint"}, "建议分类（点击选用）："), list);
      }
      if (data.units.length) {
        const list = el("ol", {class: "dispatch-units"});
        data.units.slice(0, 3).forEach((u) => {
          list.append(el("li", {}, u.name, " ", el("span", {class: "muted"}, `${Math.round(u.score * 100)}% · ${u.source_label}`)));
        });
        box.append(el("p", {class: "hint"}, "建议主办单位："), list);
      }
    } catch (err) {
      box.textContent = "派单建议暂时无法获取。";
    }
  };
  // Probable duplicates (重复件): open tickets of the last days in the same area with like words;
  // one click records this call and merges it into one of them.
  const similarBox = document.getElementById("similar-open");
  let lastSimilar = "";
  const loadSimilar = async () => {
    if (!similarBox || !content.dataset.similarUrl) return;
    const text = content.value.trim();
    const key = [text, area ? area.value : ""].join("\u0000");
    if (key === lastSimilar) return;
    lastSimilar = key;
    similarBox.hidden = true;
    similarBox.replaceChildren();
    if (text.length < 4) return;
    try {
      const token = document.querySelector("input[name=csrf_token]");
      const response = await fetch(content.dataset.similarUrl, {
        method: "POST", body: new URLSearchParams({content: text, area: area ? area.value : ""}),
        headers: {Accept: "application/json", "X-CSRFToken": token ? token.value : ""},
      });
      const data = await response.json();
      if (!response.ok || !data.items.length) return;
      const list = el("ol", {class: "similar-open"});
      data.items.forEach((s) => {
        const merge = el("button", {type: "submit", name: "intent", value: `merge:${s.number}`, class: "link"}, "登记并合并到此工单");
        merge.setAttribute("form", "intake-form");
        list.append(el("li", {}, el("a", {href: s.url, target: "_blank"}, s.number), " ",
          el("span", {class: "muted"}, `${Math.round(s.score * 100)}% · ${s.status}`), " ", merge,
          el("div", {class: "muted"}, s.content)));
      });
      similarBox.append(el("p", {class: "hint"}, "可能的重复件（近 3 天同区域内容相近的未办结工单）："), list);
      similarBox.hidden = false;
    } catch (err) { /* the form works without it */ }
  };
  content.addEventListener("input", debounce(load, 500));
  content.addEventListener("input", debounce(loadSimilar, 600));
  if (area) area.addEventListener("change", loadSimilar);
  if (category) category.addEventListener("change", load);
  if (area) area.addEventListener("change", load);
  if (content.value) load();
}

// The unit's reply form: the reply check (答复规范性检查) as the staff type, before they submit.
function setupReplyCheck() {
  const content = document.getElementById("reply-content");
  const box = document.getElementById("reply-check");
  const confirm = document.getElementById("reply-confirm");
  if (!content || !box || !content.dataset.checkUrl) return;
  const token = document.querySelector("input[name=csrf_token]");
  let last = "";
  const check = async () => {
    const text = content.value.trim();
    if (text === last) return;
    last = text;
    if (!text) { box.hidden = true; return; }
    const body = new FormData();
    body.append("content", text);
    let data = null;
    try {
      const response = await fetch(content.dataset.checkUrl, {
        method: "POST", body, headers: {Accept: "application/json", "X-CSRFToken": token ? token.value : ""},
      });
      if (response.ok) data = await response.json();
    } catch (err) {
      data = null;
    }
    if (!data || text !== content.value.trim()) return;
    box.replaceChildren();
    if (!data.issues.length) {
      box.append(el("p", {class: "reply-check-ok"}, "答复检查通过。"));
      if (confirm) confirm.hidden = true;
    } else {
      const block = data.mode === "block";
      box.append(el("p", {class: "field-error"}, block ? "答复未通过检查，须修改后才能提交：" : "答复检查提示（确认后仍可提交）："));
      const list = el("ul", {});
      data.issues.forEach((i) => list.append(el("li", {}, el("strong", {}, i.label), "：", i.message)));
      box.append(list);
      if (confirm) confirm.hidden = block;
    }
    box.hidden = false;
  };
  // After a pause in typing: a check with the semantic side costs tens of milliseconds of CPU.
  content.addEventListener("input", debounce(check, 1000));
  content.addEventListener("blur", check);
  if (content.value.trim()) check();
}

document.addEventListener("DOMContentLoaded", () => {
  setupReplyCheck();
  setupDispatchSuggestions();
  forgetSavedDraft();
  setupConfirm();
  setupFolding();
  setupCallerHistory();
  setupSuggestions();
});
