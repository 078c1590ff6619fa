// Work queues: the menu's counts refresh every 30 s (JSON from /ui/queues/counts), and an
// open queue page fetches itself again every minute so its countdowns stay current. No
// page reload: what the user typed into the filters stays.
"use strict";

function setupQueueCounts() {
  const bar = document.getElementById("queuebar");
  if (!bar || !bar.dataset.countsUrl) return;
  const seconds = Math.max(1, Number(bar.dataset.refreshSeconds) || 30);
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const response = await fetch(bar.dataset.countsUrl, {headers: {Accept: "application/json"}, credentials: "same-origin"});
      if (!response.ok) return;  // signed out or refused: the next page load says why
      const data = await response.json();
      Object.entries(data.counts || {}).forEach(([key, count]) => {
        const node = bar.querySelector(`[data-count-for="${CSS.escape(key)}"]`);
        if (!node) return;
        node.textContent = String(count);
        node.classList.toggle("zero", count === 0);
      });
      bar.dataset.refreshedAt = data.generated_at || "";
    } catch (err) {
      // offline for a moment: keep the last counts, try again at the next tick
    }
  };
  setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
}

function setupQueueRefresh() {
  const box = document.getElementById("queue");
  if (!box || !box.dataset.refreshSeconds) return;
  const seconds = Math.max(1, Number(box.dataset.refreshSeconds) || 60);
  setInterval(async () => {
    if (document.hidden) return;
    try {
      const response = await fetch(window.location.href, {headers: {Accept: "text/html"}, credentials: "same-origin"});
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = doc.getElementById("queue");
      if (fresh) box.innerHTML = fresh.innerHTML;  // rendered and escaped by the server
    } catch (err) {
      // keep the rows shown; the next tick tries again
    }
  }, seconds * 1000);
}

function setupPrint() {
  const button = document.getElementById("print-ticket");
  if (button) button.addEventListener("click", () => window.print());
}

document.addEventListener("DOMContentLoaded", () => { setupQueueCounts(); setupQueueRefresh(); setupPrint(); });
