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
  const template = input.dataset.historyUrl;
  let last = "";
  const load = async () => {
    const phone = input.value.trim();
    if (phone === last) return;
    last = phone;
    if (phone.replace(/\D/g, "").length < 7) { box.textContent = "输入来电号码后显示该来电人的历史工单。"; return; }
    try {
      const response = await fetch(template.replace("__PHONE__", encodeURIComponent(phone)), {headers: {Accept: "application/json"}});
      const data = await response.json();
      box.replaceChildren();
      if (!response.ok) { box.textContent = (data.error && data.error.message_zh) || "查询失败。"; return; }
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

document.addEventListener("DOMContentLoaded", () => {
  setupCallerHistory();
});
