// The dashboard table: chosen columns, filters, sort, keyset pages; rows update in place.
"use strict";

import { api, handleError } from "./api.js";
import { COLUMNS, DEFAULT_COLUMNS, headerCell } from "./columns.js";
import { ago, debounce, element, externalLink } from "./format.js";

const PAGE_SIZE = 100;
const HAS_LABELS = {
  overdue_sales: "Overdue sales",
  overdue_purchases: "Overdue purchases",
  purchase_due_next_week: "Purchases due next week",
  open_sales_documents: "Open sales documents",
};

// What the table shows: a saved view is exactly this.
export const state = {
  columns: [...DEFAULT_COLUMNS],
  filters: {},
  sort: "client_name",
  pages: [null], // cursors of the pages seen so far; the last is the current page's
  selected: new Set(),
};

const rowsById = new Map();
let actions = { refresh: () => {}, details: () => {}, addClient: () => {} };
let lastRows = [];

export function configureDashboard(callbacks) {
  actions = { ...actions, ...callbacks };
  buildColumnChooser();
  buildFilters();
  document.getElementById("prev-page").addEventListener("click", () => {
    if (state.pages.length > 1) state.pages.pop();
    reload();
  });
  document.getElementById("next-page").addEventListener("click", () => {
    const next = document.getElementById("next-page").dataset.cursor;
    if (next) state.pages.push(next);
    reload();
  });
}

export function applyView(view) {
  state.columns = view.columns && view.columns.length ? [...view.columns] : [...DEFAULT_COLUMNS];
  state.filters = { ...(view.filters || {}) };
  state.sort = view.sort || "client_name";
  state.pages = [null];
  syncControls();
  renderHeader();
  return reload();
}

export function currentView() {
  return { columns: [...state.columns], filters: cleanFilters(state.filters), sort: state.sort };
}

function cleanFilters(filters) {
  const clean = {};
  for (const [key, value] of Object.entries(filters)) {
    if (value === undefined || value === null || value === "" || value === false) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    clean[key] = value;
  }
  return clean;
}

function query() {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE), sort: state.sort });
  state.columns.forEach((c) => params.append("columns", c));
  const f = cleanFilters(state.filters);
  if (f.client) params.set("client", f.client);
  if (f.q) params.set("q", f.q);
  (f.has || []).forEach((h) => params.append("has", h));
  if (f.failed) params.set("failed", "true");
  if (f.stale_minutes) params.set("stale_minutes", String(f.stale_minutes));
  const cursor = state.pages.at(-1);
  if (cursor) params.set("cursor", cursor);
  return params;
}

let loading = null;
export function reload() {
  if (!loading) loading = load().finally(() => (loading = null));
  return loading;
}

async function load() {
  const status = document.getElementById("status");
  try {
    const page = await api(`/api/v1/dashboard?${query()}`);
    lastRows = page.rows;
    renderRows(page.rows);
    const next = document.getElementById("next-page");
    next.disabled = !page.next_cursor;
    next.dataset.cursor = page.next_cursor || "";
    document.getElementById("prev-page").disabled = state.pages.length <= 1;
    document.getElementById("page-number").textContent = `Page ${state.pages.length}`;
    const filtered = Object.keys(cleanFilters(state.filters)).length > 0;
    status.textContent = page.rows.length
      ? `${page.rows.length} companies on this page${filtered ? " (filtered)" : ""}`
      : filtered
        ? "No companies match these filters."
        : "No companies yet: they appear once a client is connected.";
  } catch (error) {
    handleError(error, status);
    if (error.status !== 401) status.textContent = `Could not update (${error.message}); showing the last figures, retrying.`;
  }
}

export function rowsOnPage() {
  return lastRows;
}

export function renderHeader() {
  const head = document.getElementById("dashboard-head");
  const tr = element("tr");
  const select = element("th", null, { scope: "col" });
  select.append(element("span", "Select", { class: "visually-hidden" }));
  const onSort = (sort) => {
    state.sort = sort;
    state.pages = [null];
    renderHeader();
    reload();
  };
  tr.append(
    select,
    headerCell({ header: "Client", sort: "client_name" }, state.sort, onSort),
    headerCell({ header: "Company", sort: "company_name" }, state.sort, onSort),
    ...COLUMNS.filter((c) => state.columns.includes(c.key)).map((c) => headerCell(c, state.sort, onSort)),
    element("th", "Freshness", { scope: "col" }),
  );
  const actionsHeader = element("th", null, { scope: "col" });
  actionsHeader.append(element("span", "Actions", { class: "visually-hidden" }));
  tr.append(actionsHeader);
  head.replaceChildren(tr);
  for (const row of rowsById.values()) row.dataset.columns = "";
}

// Rows are keyed by company: an existing row keeps its element (and the focus inside it).
function renderRows(rows) {
  const body = document.getElementById("rows");
  const seen = new Set();
  rows.forEach((row, index) => {
    seen.add(row.company_id);
    let tr = rowsById.get(row.company_id);
    if (!tr) {
      tr = createRow(row);
      rowsById.set(row.company_id, tr);
    }
    updateRow(tr, row);
    if (body.children[index] !== tr) body.insertBefore(tr, body.children[index] || null);
  });
  for (const [id, tr] of rowsById) {
    if (!seen.has(id)) {
      tr.remove();
      rowsById.delete(id);
    }
  }
}

function createRow(row) {
  const tr = element("tr");
  tr.dataset.companyId = row.company_id;
  const select = element("td");
  const box = element("input", null, { type: "checkbox", "aria-label": `Select ${row.company_name}` });
  box.checked = state.selected.has(row.company_id);
  box.addEventListener("change", () => {
    if (box.checked) state.selected.add(row.company_id);
    else state.selected.delete(row.company_id);
    document.dispatchEvent(new CustomEvent("selection-changed"));
  });
  select.append(box);
  tr.append(select, element("td"), element("td"), element("td", null, { class: "freshness" }), rowMenu(row));
  return tr;
}

function updateRow(tr, row) {
  const [, client, company] = tr.children;
  setText(client, row.client_name || "(not read yet)");
  const companyContent = row.web_url ? externalLink(row.company_name, row.web_url, `${row.company_name} in the client's system`) : null;
  if (company.dataset.key !== `${row.company_name}|${row.web_url}`) {
    company.dataset.key = `${row.company_name}|${row.web_url}`;
    company.replaceChildren(companyContent || row.company_name);
  }
  const cells = COLUMNS.filter((c) => state.columns.includes(c.key)).map((c) => ({ key: c.key, ...c.cell(row) }));
  const columnsKey = cells.map((c) => c.key).join(",");
  let figureCells = [...tr.querySelectorAll("td[data-column]")];
  if (tr.dataset.columns !== columnsKey) {
    figureCells.forEach((td) => td.remove());
    const anchor = tr.querySelector("td.freshness");
    figureCells = cells.map((c) => element("td", null, { "data-column": c.key }));
    figureCells.forEach((td) => tr.insertBefore(td, anchor));
    tr.dataset.columns = columnsKey;
  }
  cells.forEach((c, i) => {
    setText(figureCells[i], c.text);
    if (figureCells[i].className !== c.className) figureCells[i].className = c.className;
  });
  const fresh = tr.querySelector("td.freshness");
  const freshness = ago(row.last_synced_at) + (row.last_sync_error ? `\nLast sync failed: ${row.last_sync_error}` : "");
  if (fresh.dataset.text !== freshness) {
    fresh.dataset.text = freshness;
    const parts = [element("span", ago(row.last_synced_at))];
    if (row.last_sync_error) parts.push(element("span", `Last sync failed: ${row.last_sync_error}`, { class: "error" }));
    fresh.replaceChildren(...parts);
  }
  tr.classList.toggle("failed", Boolean(row.last_sync_error));
  tr.querySelector(".row-menu").dataset.row = JSON.stringify(row);
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// The "…" menu of a row: a disclosure button and a short list of actions.
function rowMenu(row) {
  const td = element("td", null, { class: "row-menu" });
  const id = `menu-${row.company_id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const toggle = element("button", "…", {
    type: "button",
    "aria-expanded": "false",
    "aria-controls": id,
    "aria-label": `Actions for ${row.company_name}`,
    class: "menu-toggle",
  });
  const list = element("ul", null, { id, class: "menu", hidden: true });
  const current = () => JSON.parse(td.dataset.row);
  const item = (label, onClick) => {
    const li = element("li");
    const button = element("button", label, { type: "button" });
    button.addEventListener("click", () => {
      close();
      onClick(current());
    });
    li.append(button);
    return li;
  };
  const goTo = element("li");
  const close = () => {
    list.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
  };
  toggle.addEventListener("click", () => {
    const r = current();
    goTo.replaceChildren(
      r.web_url ? externalLink("Go to the client's system", r.web_url, `${r.company_name} in the client's system`) : element("span", "No link to the client's system yet"),
    );
    list.hidden = !list.hidden;
    toggle.setAttribute("aria-expanded", String(!list.hidden));
    if (!list.hidden) list.querySelector("button, a").focus();
  });
  list.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      close();
      toggle.focus();
    }
  });
  list.append(
    item("Refresh now", (r) => actions.refresh({ scope: "company", company_ids: [r.company_id] }, r.company_name)),
    item("Refresh this client's companies", (r) => actions.refresh({ scope: "client", client: r.client_name }, r.client_name)),
    item("Details", (r) => actions.details(r.company_id)),
    goTo,
    item("Add a client", () => actions.addClient()),
  );
  td.append(toggle, list);
  return td;
}

function buildColumnChooser() {
  const box = document.getElementById("column-chooser");
  COLUMNS.forEach((column) => {
    const label = element("label");
    const input = element("input", null, { type: "checkbox", name: "column", value: column.key });
    input.checked = state.columns.includes(column.key);
    input.addEventListener("change", () => {
      const chosen = [...box.querySelectorAll("input:checked")].map((i) => i.value);
      state.columns = COLUMNS.map((c) => c.key).filter((k) => chosen.includes(k));
      renderHeader();
      reload();
    });
    label.append(input, ` ${column.header}`);
    box.append(label);
  });
}

function buildFilters() {
  const form = document.getElementById("filters");
  const has = document.getElementById("filter-has");
  Object.entries(HAS_LABELS).forEach(([key, text]) => {
    const label = element("label");
    label.append(element("input", null, { type: "checkbox", name: "has", value: key }), ` ${text}`);
    has.append(label);
  });
  const apply = () => {
    const data = new FormData(form);
    state.filters = {
      client: data.get("client") || undefined,
      q: data.get("q") || undefined,
      has: data.getAll("has"),
      failed: data.get("failed") === "on" || undefined,
      stale_minutes: Number(data.get("stale_minutes")) || undefined,
    };
    state.pages = [null];
    reload();
  };
  form.addEventListener("input", debounce(apply, 300));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  form.addEventListener("reset", () => setTimeout(apply, 0));
}

function syncControls() {
  document.querySelectorAll("#column-chooser input").forEach((input) => {
    input.checked = state.columns.includes(input.value);
  });
  const form = document.getElementById("filters");
  form.elements.client.value = state.filters.client || "";
  form.elements.q.value = state.filters.q || "";
  form.elements.failed.checked = Boolean(state.filters.failed);
  form.elements.stale_minutes.value = state.filters.stale_minutes || "";
  form.querySelectorAll("input[name=has]").forEach((input) => {
    input.checked = (state.filters.has || []).includes(input.value);
  });
}
