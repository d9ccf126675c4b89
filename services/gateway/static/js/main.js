// The page's entry point: sign in or sign up, then the dashboard and My User Tasks tabs.
"use strict";

import { api, ApiError, onUnauthorized } from "./api.js";
import { configureClients, openAddClient } from "./clients.js";
import { configureDashboard, reload, renderHeader, state } from "./dashboard.js";
import { configureDetails, showDetails } from "./details.js";
import { closeStream, openStream, startRefresh, streamOpen } from "./refresh.js";
import { configureTasks, loadTasks, showTasks } from "./tasks.js";
import { configureViews, loadViews } from "./views.js";

let me = "";
let timer = null;
const $ = (id) => document.getElementById(id);

async function showDashboard(accountant) {
  me = accountant;
  $("who").textContent = `Signed in as ${accountant}`;
  $("sign-in").hidden = true;
  $("sign-up").hidden = true;
  $("signed-in").hidden = false;
  renderHeader();
  const applied = await loadViews({ applyDefault: true });
  if (!applied) await reload();
  openStream();
  // My User Tasks reload every 5 s; the dashboard too, but only while the event stream is down.
  if (!timer) timer = setInterval(() => (!$("tasks").hidden ? loadTasks() : streamOpen() ? null : reload()), 5000);
}

function showSignIn() {
  clearInterval(timer);
  timer = null;
  closeStream();
  $("signed-in").hidden = true;
  $("sign-in").hidden = false;
  $("who").textContent = "";
}

function showTab(name) {
  for (const tab of ["dashboard", "tasks"]) {
    $(`tab-${tab}`).setAttribute("aria-selected", String(tab === name));
    $(tab).hidden = tab !== name;
  }
  if (name === "tasks") showTasks();
  else reload();
}

async function signIn(email, password) {
  const session = await api("/api/v1/session", { method: "POST", body: { email, password } });
  await showDashboard(session.accountant);
}

$("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const message = $("sign-in-error");
  try {
    await signIn(form.get("email"), form.get("password"));
    message.textContent = "";
  } catch (error) {
    message.textContent = error instanceof ApiError && error.status === 401 ? "Unknown email or wrong password." : `Sign-in failed: ${error.message}`;
  }
});

$("sign-up").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const message = $("sign-up-error");
  try {
    await api("/api/v1/accounts", { method: "POST", body: { email: form.get("email"), password: form.get("password") } });
    await signIn(form.get("email"), form.get("password"));
    message.textContent = "";
  } catch (error) {
    message.textContent = `Could not create the account: ${error.message}`;
  }
});

$("show-sign-up").addEventListener("click", () => {
  $("sign-in").hidden = true;
  $("sign-up").hidden = false;
  $("sign-up-email").focus();
});
$("show-sign-in").addEventListener("click", () => {
  $("sign-up").hidden = true;
  $("sign-in").hidden = false;
  $("email").focus();
});
$("sign-out").addEventListener("click", async () => {
  await api("/api/v1/session", { method: "DELETE" }).catch(() => null);
  showSignIn();
});
$("tab-dashboard").addEventListener("click", () => showTab("dashboard"));
$("tab-tasks").addEventListener("click", () => showTab("tasks"));
$("refresh-all").addEventListener("click", () => startRefresh({ scope: "all" }, "all clients"));
$("refresh-selected").addEventListener("click", () =>
  startRefresh({ scope: "selected", company_ids: [...state.selected] }, `${state.selected.size} selected companies`),
);
$("add-client-button").addEventListener("click", openAddClient);
document.addEventListener("selection-changed", () => {
  $("refresh-selected").disabled = state.selected.size === 0;
  $("refresh-selected").textContent = `Refresh selected (${state.selected.size})`;
});

onUnauthorized(showSignIn);
configureDashboard({ refresh: startRefresh, details: showDetails, addClient: openAddClient });
configureViews();
configureDetails();
configureClients();
configureTasks(() => me);

api("/api/v1/session")
  .then((session) => showDashboard(session.accountant))
  .catch(showSignIn);
