// The dashboard page: sign in, then poll the API and update rows in place (never blank them).
"use strict";

const api = (path, options = {}) =>
  fetch(path, { credentials: "same-origin", headers: { "Content-Type": "application/json" }, ...options });

function money(figure) {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: figure.currency }).format(figure.amount);
  } catch {
    return `${figure.amount} ${figure.currency}`;
  }
}

function ago(iso) {
  if (!iso) return "never synced";
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `synced ${seconds} s ago`;
  if (seconds < 3600) return `synced ${Math.round(seconds / 60)} min ago`;
  return `synced ${Math.round(seconds / 3600)} h ago`;
}

// A money figure per currency. `unfavourable` figures are marked in words as well as colour.
function moneyCell(figures, { empty, unfavourable = null, counts = true }) {
  const cell = document.createElement("td");
  cell.className = "figure";
  if (figures.length === 0) {
    cell.textContent = empty;
    cell.classList.add("muted");
    return cell;
  }
  const parts = figures.map((f) => (counts ? `${money(f)} (${f.count})` : money(f)));
  const negative = figures.some((f) => Number(f.amount) < 0);
  if (unfavourable || negative) {
    cell.classList.add("unfavourable");
    cell.textContent = `${unfavourable || "Negative"}: ${parts.join(", ")}`;
  } else {
    cell.textContent = parts.join(", ");
  }
  return cell;
}

function documentsCell(docs) {
  const cell = document.createElement("td");
  cell.className = "figure";
  cell.textContent = docs.total
    ? `${docs.total} (quotes ${docs.quotes}, orders ${docs.orders}, credit memos ${docs.credit_memos}, drafts ${docs.draft_invoices})`
    : "None";
  if (!docs.total) cell.classList.add("muted");
  return cell;
}

function renderRow(row) {
  const tr = document.createElement("tr");
  tr.dataset.companyId = row.company_id;
  const client = document.createElement("td");
  client.textContent = row.client_name;
  const company = document.createElement("td");
  if (row.web_url) {
    const link = document.createElement("a");
    link.href = row.web_url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = row.company_name;
    link.setAttribute("aria-label", `${row.company_name} in the client's system (opens a new tab)`);
    company.append(link);
  } else {
    company.textContent = row.company_name;
  }
  const fresh = document.createElement("td");
  fresh.textContent = ago(row.last_synced_at);
  if (row.last_sync_error) {
    const error = document.createElement("span");
    error.className = "error";
    error.textContent = `Last sync failed: ${row.last_sync_error}`;
    fresh.append(error);
  }
  const actions = document.createElement("td");
  const details = document.createElement("button");
  details.type = "button";
  details.textContent = "Details";
  details.setAttribute("aria-label", `Details of ${row.company_name}`);
  details.addEventListener("click", () => showDetails(row.company_id));
  actions.append(details);
  tr.append(
    client,
    company,
    moneyCell(row.cash, { empty: "No cash accounts", counts: false }),
    moneyCell(row.overdue_sales, { empty: "None overdue", unfavourable: "Overdue" }),
    moneyCell(row.overdue_purchases, { empty: "None overdue", unfavourable: "Overdue" }),
    moneyCell(row.purchase_due_next_week, { empty: "None due" }),
    documentsCell(row.open_sales_documents),
    moneyCell(row.taxes_due, { empty: "None", counts: false }),
    fresh,
    actions,
  );
  return tr;
}

async function loadAllRows() {
  const rows = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ limit: "500" });
    if (cursor) query.set("cursor", cursor);
    const response = await api(`/api/v1/dashboard?${query}`);
    if (response.status === 401) return null;
    if (!response.ok) throw new Error(`dashboard answered ${response.status}`);
    const page = await response.json();
    rows.push(...page.rows);
    cursor = page.next_cursor;
  } while (cursor);
  return rows;
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const rows = await loadAllRows();
    if (rows === null) return showSignIn();
    document.getElementById("rows").replaceChildren(...rows.map(renderRow));
    status.textContent = rows.length ? `${rows.length} companies` : "No companies yet: they appear once a client is connected.";
  } catch (error) {
    status.textContent = `Could not update (${error.message}); showing the last figures, retrying.`;
  }
}

let timer = null;
function showDashboard() {
  document.getElementById("sign-in").hidden = true;
  document.getElementById("dashboard").hidden = false;
  refresh();
  if (!timer) timer = setInterval(refresh, 2000);
}

function showSignIn() {
  clearInterval(timer);
  timer = null;
  document.getElementById("dashboard").hidden = true;
  document.getElementById("sign-in").hidden = false;
}

document.getElementById("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await api("/api/v1/session", {
    method: "POST",
    body: JSON.stringify({ email: form.get("email"), password: form.get("password") }),
  });
  const message = document.getElementById("sign-in-error");
  if (!response.ok) {
    message.textContent = response.status === 401 ? "Unknown email or wrong password." : `Sign-in failed (${response.status}).`;
    return;
  }
  const session = await response.json();
  message.textContent = "";
  document.getElementById("who").textContent = `Signed in as ${session.accountant}`;
  showDashboard();
});

loadAllRows().then((rows) => (rows === null ? showSignIn() : showDashboard())).catch(showSignIn);
