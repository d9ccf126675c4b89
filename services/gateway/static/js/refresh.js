// Refresh commands and their progress: a bar with done/failed/pending; rows update as data lands.
"use strict";

import { api, handleError } from "./api.js";
import { reload, rowsOnPage } from "./dashboard.js";
import { element } from "./format.js";

const jobs = new Map();
let stream = null;

export async function startRefresh(request, label) {
  const status = document.getElementById("refresh-status");
  try {
    const job = await api("/api/v1/refresh", { method: "POST", body: request });
    status.textContent = `Refreshing ${label}…`;
    showJob(job);
    if (!stream) pollJob(job.id);
  } catch (error) {
    handleError(error, status);
  }
}

function pollJob(id) {
  const tick = async () => {
    try {
      const job = await api(`/api/v1/refresh/${encodeURIComponent(id)}`);
      showJob(job);
      if (job.state !== "finished") setTimeout(tick, 1000);
    } catch (error) {
      handleError(error, document.getElementById("refresh-status"));
    }
  };
  setTimeout(tick, 1000);
}

function showJob(job) {
  jobs.set(job.id, job);
  const box = document.getElementById("refresh-progress");
  let panel = box.querySelector(`[data-job="${CSS.escape(job.id)}"]`);
  if (!panel) {
    panel = element("div", null, { "data-job": job.id, class: "job" });
    const label = element("label", null, { for: `bar-${job.id}` });
    const bar = element("progress", null, { id: `bar-${job.id}` });
    const text = element("span", null, { class: "job-text" });
    const failures = element("ul", null, { class: "job-failures" });
    panel.append(label, bar, text, failures);
    box.prepend(panel);
  }
  const finished = job.done + job.failed;
  const label = panel.querySelector("label");
  label.textContent = job.scope === "all" ? "Refresh of all clients" : `Refresh (${job.scope}, ${job.total} companies)`;
  const bar = panel.querySelector("progress");
  bar.max = Math.max(job.total, 1);
  bar.value = finished;
  panel.querySelector(".job-text").textContent =
    `${job.done} done, ${job.failed} failed, ${job.pending} pending${job.state === "finished" ? " — finished" : ""}`;
  const failures = panel.querySelector(".job-failures");
  failures.replaceChildren(
    ...(job.companies || [])
      .filter((c) => c.state === "failed")
      .map((c) => element("li", `${c.company_name || c.company_id}: ${c.error || "failed"}`, { class: "error" })),
  );
  if (job.state === "finished") {
    document.getElementById("refresh-status").textContent =
      `Refresh finished: ${job.done} done${job.failed ? `, ${job.failed} failed (their last good figures stay)` : ""}.`;
    reload();
  }
}

// One Server-Sent Events stream: job progress and which rows changed. Falls back to polling.
export function openStream() {
  if (stream || !("EventSource" in window)) return;
  stream = new EventSource("/api/v1/stream", { withCredentials: true });
  stream.addEventListener("job", (event) => showJob(JSON.parse(event.data)));
  stream.addEventListener("rows", (event) => rowsChanged(JSON.parse(event.data)));
  stream.onerror = () => {
    stream.close();
    stream = null;
    for (const job of jobs.values()) if (job.state !== "finished") pollJob(job.id);
    setTimeout(openStream, 5000);
  };
}

// A row on this page changed (or the server lost track): reload, at most once a second (each sync
// stamps its row, so a page of 100 rows changes often). A change elsewhere can only sort or filter a
// row onto this page; the page's own 5-second reload covers those, so an accountant with a thousand
// companies does not reload at every change to any of them.
const ROWS_RELOAD_GAP_MS = 1000;
let lastRowsReload = 0;
let rowsReloadLater = null;

function rowsChanged(change) {
  const shown = new Set(rowsOnPage().map((row) => row.company_id));
  if (!change.resync && !change.company_ids.some((id) => shown.has(id))) return;
  const wait = lastRowsReload + ROWS_RELOAD_GAP_MS - Date.now();
  if (wait <= 0) {
    lastRowsReload = Date.now();
    reload();
  } else if (!rowsReloadLater) {
    rowsReloadLater = setTimeout(() => {
      rowsReloadLater = null;
      lastRowsReload = Date.now();
      reload();
    }, wait);
  }
}

export function closeStream() {
  if (stream) stream.close();
  stream = null;
}
