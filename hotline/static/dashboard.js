// The dashboard (工作台) refreshes itself: every minute it fetches its sections again as
// JSON from /ui/dashboard and puts them in place; between fetches the countdowns tick.
"use strict";

function durationZh(minutes) {
  const m = Math.abs(Math.trunc(minutes));
  const days = Math.floor(m / 1440), hours = Math.floor((m % 1440) / 60), mins = m % 60;
  if (days) return hours ? `${days}天${hours}小时` : `${days}天`;
  if (hours) return mins ? `${hours}小时${mins}分` : `${hours}小时`;
  return `${mins}分钟`;
}

function tickCountdowns(root) {
  root.querySelectorAll(".countdown[data-due]").forEach((node) => {
    const due = Date.parse(node.dataset.due);
    if (Number.isNaN(due)) return;
    const minutes = Math.floor((due - Date.now()) / 60000);
    node.textContent = minutes < 0 ? `已超时${durationZh(minutes)}` : `剩${durationZh(minutes)}`;
    node.classList.toggle("overdue", minutes < 0);
    node.classList.toggle("soon", minutes >= 0 && minutes < 30);
  });
}

function setupDashboard() {
  const box = document.getElementById("dashboard");
  if (!box || !box.dataset.refreshUrl) return;
  const status = document.getElementById("dashboard-status");
  const updated = document.getElementById("dashboard-updated");
  const seconds = Math.max(1, Number(box.dataset.refreshSeconds) || 60);
  let failed = null;
  const showError = (message) => {
    if (!failed) {
      failed = document.createElement("span");
      failed.className = "refresh-error";
      status.append(failed);
    }
    failed.textContent = ` ${message}`;
  };
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const response = await fetch(box.dataset.refreshUrl, {headers: {Accept: "application/json"}, credentials: "same-origin"});
      const data = await response.json();
      if (!response.ok) { showError((data.error && data.error.message_zh) || "刷新失败，请稍后重试。"); return; }
      box.innerHTML = data.html;  // rendered and escaped by the server's templates
      updated.textContent = data.updated_at;
      box.dataset.refreshedAt = data.generated_at;
      if (failed) { failed.remove(); failed = null; }
    } catch (err) {
      showError("刷新失败，网络中断或服务暂不可用，稍后自动重试。");
    }
  };
  setInterval(refresh, seconds * 1000);
  setInterval(() => tickCountdowns(box), 30000);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
}

document.addEventListener("DOMContentLoaded", setupDashboard);
