// Saved views: switch between them, save the current table as one, rename, set default, delete.
"use strict";

import { api, handleError } from "./api.js";
import { applyView, currentView } from "./dashboard.js";

let views = [];

export async function loadViews({ applyDefault = false } = {}) {
  const status = document.getElementById("views-status");
  try {
    views = (await api("/api/v1/views")).views;
  } catch (error) {
    handleError(error, status);
    views = [];
  }
  const preferred = views.find((v) => v.is_default);
  renderSelect(applyDefault && preferred ? preferred.id : undefined);
  if (applyDefault && preferred) {
    await applyView(preferred);
    status.textContent = `Showing your default view “${preferred.name}”.`;
    return true;
  }
  return false;
}

function renderSelect(chosenId) {
  const select = document.getElementById("view");
  const chosen = chosenId ?? select.value;
  const options = [new Option("Standard view", "")];
  views.forEach((v) => options.push(new Option(v.is_default ? `${v.name} (default)` : v.name, v.id)));
  select.replaceChildren(...options);
  select.value = views.some((v) => v.id === chosen) ? chosen : "";
  const picked = Boolean(select.value);
  document.getElementById("view-default").disabled = !picked;
  document.getElementById("view-delete").disabled = !picked;
  document.getElementById("view-update").disabled = !picked;
}

const selectedView = () => views.find((v) => v.id === document.getElementById("view").value);

export function configureViews() {
  const status = document.getElementById("views-status");
  const select = document.getElementById("view");
  const act = async (work, done) => {
    try {
      await work();
      status.textContent = done;
    } catch (error) {
      handleError(error, status);
    }
  };
  select.addEventListener("change", async () => {
    const view = selectedView();
    renderSelect();
    await applyView(view || { columns: null, filters: {}, sort: null });
    status.textContent = view ? `Showing “${view.name}”.` : "Showing the standard view.";
  });
  document.getElementById("save-view").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = event.target.elements["view-name"].value.trim();
    if (!name) return;
    act(async () => {
      const view = await api("/api/v1/views", { method: "POST", body: { name, ...currentView() } });
      event.target.reset();
      await loadViews();
      renderSelect(view.id);
    }, `Saved the view “${name}”.`);
  });
  document.getElementById("view-update").addEventListener("click", () => {
    const view = selectedView();
    if (view) act(async () => {
      await api(`/api/v1/views/${encodeURIComponent(view.id)}`, { method: "PATCH", body: currentView() });
      await loadViews();
    }, `Updated “${view.name}” with the current columns, filters and sort.`);
  });
  document.getElementById("view-default").addEventListener("click", () => {
    const view = selectedView();
    if (view) act(async () => {
      await api(`/api/v1/views/${encodeURIComponent(view.id)}`, { method: "PATCH", body: { is_default: true } });
      await loadViews();
    }, `“${view.name}” opens first from now on.`);
  });
  document.getElementById("view-delete").addEventListener("click", () => {
    const view = selectedView();
    if (view) act(async () => {
      await api(`/api/v1/views/${encodeURIComponent(view.id)}`, { method: "DELETE" });
      select.value = "";
      await loadViews();
    }, `Deleted the view “${view.name}”.`);
  });
}
