// Refresh commands and their progress: a bar with done/failed/pending; rows update as data lands.
"use strict";

import { api, ApiError, handleError } from "./api.js";
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

// A job seen finished reloads the rows once, when it finished while this page was open: the stream
// also lists the last 15 minutes' jobs when it opens, and those finished before.
const pageOpenedAt = Date.now();

function showJob(job) {
  const before = jobs.get(job.id);
  const justFinished =
    job.state === "finished" && (before ? before.state !== "finished" : Date.parse(job.created_at) >= pageOpenedAt);
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
  if (justFinished) {
    document.getElementById("refresh-status").textContent =
      `Refresh finished: ${job.done} done${job.failed ? `, ${job.failed} failed (their last good figures stay)` : ""}.`;
    reload();
  }
}

// One Server-Sent Events stream: job progress and which rows changed. Falls back to polling: jobs
// poll their progress, and the dashboard reloads on the page's timer while the stream is down.
let streamLost = false;
let reopenLater = null;

export function openStream() {
  if (stream || !("EventSource" in window)) return;
  stream = new EventSource("/api/v1/stream", { withCredentials: true });
  stream.addEventListener("job", (event) => showJob(JSON.parse(event.data)));
  stream.addEventListener("rows", (event) => rowsChanged(JSON.parse(event.data)));
  stream.addEventListener("signed-out", (event) => {
    closeStream();
    handleError(new ApiError(401, JSON.parse(event.data)));
  });
  stream.onopen = () => {
    if (streamLost) reload(); // what changed while it was down
    streamLost = false;
  };
  stream.onerror = () => {
    stream.close();
    stream = null;
    streamLost = true;
    for (const job of jobs.values()) if (job.state !== "finished") pollJob(job.id);
    reopenLater = setTimeout(openStream, 5000);
  };
}

// Whether the stream is telling this page what changed: then the dashboard reloads when it says so,
// not on a timer, and a page left open costs nothing while nothing changes.
export function streamOpen() {
  return stream !== null && stream.readyState === EventSource.OPEN;
}

// A row on this page changed (or the server lost track): reload, at most once a second (each sync
// stamps its row, so a page of 100 rows changes often). A change elsewhere can only sort or filter a
// row onto this page: reload for those at most every 5 seconds, so an accountant with a thousand
// companies does not reload at every change to any of them.
const ROWS_SHOWN_GAP_MS = 1000;
const ROWS_ELSEWHERE_GAP_MS = 5000;
let lastRowsReload = 0;
let rowsReloadLater = null;
let rowsReloadAt = null;

function rowsChanged(change) {
  const shown = new Set(rowsOnPage().map((row) => row.company_id));
  const onPage = change.resync || change.company_ids.some((id) => shown.has(id));
  reloadWithin(onPage ? ROWS_SHOWN_GAP_MS : ROWS_ELSEWHERE_GAP_MS);
}

function reloadWithin(gap) {
  const due = Math.max(Date.now(), lastRowsReload + gap);
  if (rowsReloadAt !== null && rowsReloadAt <= due) return; // as soon or sooner already
  clearTimeout(rowsReloadLater);
  rowsReloadAt = due;
  rowsReloadLater = setTimeout(() => {
    rowsReloadLater = null;
    rowsReloadAt = null;
    lastRowsReload = Date.now();
    reload();
  }, due - Date.now());
}

export function closeStream() {
  if (stream) stream.close();
  stream = null;
  streamLost = false;
  clearTimeout(reopenLater);
  reopenLater = null;
  clearTimeout(rowsReloadLater);
  rowsReloadLater = null;
  rowsReloadAt = null;
}
