// The company-details pane: cash per account, a 13-week forecast chart, overdue invoices with links.
"use strict";

import { api } from "./api.js";
import { amount, element, externalLink } from "./format.js";

function table(caption, headers, rows) {
  const t = element("table");
  t.append(element("caption", caption));
  const head = element("tr");
  headers.forEach((h) => head.append(element("th", h, { scope: "col" })));
  const thead = element("thead");
  thead.append(head);
  t.append(thead);
  const body = element("tbody");
  rows.forEach((cells) => {
    const tr = element("tr");
    cells.forEach((cell) => tr.append(cell instanceof Node ? wrap(cell) : element("td", cell)));
    body.append(tr);
  });
  t.append(body);
  return t;
}

function wrap(node) {
  const td = element("td");
  td.append(node);
  return td;
}

function documentLink(doc) {
  if (!doc.web_url) return element("span", doc.number);
  return externalLink(doc.number, doc.web_url, `${doc.number} in the client's system`);
}

function overdueTable(caption, documents) {
  if (documents.length === 0) return element("p", `${caption}: none.`);
  return table(
    caption,
    ["Document", "Customer / vendor", "Due", "Days overdue", "Amount"],
    documents.map((d) => [documentLink(d), d.party_number, d.due_date, String(d.days_overdue), amount(d.amount, d.currency)]),
  );
}

// One bar per week: the closing balance; bars below zero are marked and labelled in words.
function forecastChart(series) {
  const width = 520, height = 160, bar = width / series.weeks.length;
  const values = series.weeks.map((w) => Number(w.closing));
  const top = Math.max(...values, 0), bottom = Math.min(...values, 0);
  const scale = (height - 20) / (top - bottom || 1);
  const zero = 10 + top * scale;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("class", "forecast");
  svg.setAttribute("role", "img");
  const negative = series.weeks.filter((w) => Number(w.closing) < 0).length;
  svg.setAttribute(
    "aria-label",
    `${series.currency} cash forecast over 13 weeks: from ${amount(series.opening, series.currency)} to ` +
      `${amount(series.weeks.at(-1).closing, series.currency)}; ${negative} week(s) below zero`,
  );
  series.weeks.forEach((week, i) => {
    const value = Number(week.closing);
    const rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    rect.setAttribute("x", String(i * bar + 2));
    rect.setAttribute("width", String(bar - 4));
    rect.setAttribute("y", String(value >= 0 ? zero - value * scale : zero));
    rect.setAttribute("height", String(Math.max(Math.abs(value) * scale, 1)));
    rect.setAttribute("class", value < 0 ? "below" : "above");
    const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
    title.textContent = `Week of ${week.week_start}: ${amount(week.closing, series.currency)}`;
    rect.append(title);
    svg.append(rect);
  });
  const figure = element("figure");
  figure.append(svg);
  const note = negative ? ` Below zero in ${negative} week(s).` : "";
  const from = amount(series.opening, series.currency);
  const to = amount(series.weeks.at(-1).closing, series.currency);
  figure.append(element("figcaption", `${series.currency}: ${from} today, ${to} in 13 weeks (closing balance per week).${note}`));
  return figure;
}

export async function showDetails(companyId) {
  const pane = document.getElementById("details");
  const body = document.getElementById("details-body");
  const response = await fetch(`/api/v1/companies/${encodeURIComponent(companyId)}`, { credentials: "same-origin" });
  if (!response.ok) {
    body.replaceChildren(element("p", `Could not load the details (${response.status}).`, { role: "alert" }));
    pane.hidden = false;
    return;
  }
  const details = await response.json();
  document.getElementById("details-title").textContent = `${details.row.company_name} — details`;
  const parts = [
    element("h3", "Cash accounts"),
    details.cash_accounts.length
      ? table("Balance per cash account", ["Account", "Name", "Balance"],
          details.cash_accounts.map((a) => [a.number, a.name, amount(a.balance, a.currency)]))
      : element("p", "No cash accounts."),
    element("h3", "13-week cash-flow forecast"),
    ...details.forecast.map(forecastChart),
    element("h3", "Overdue sales invoices"),
    overdueTable("Overdue sales invoices", details.overdue_sales_invoices),
    element("h3", "Overdue purchase invoices"),
    overdueTable("Overdue purchase invoices", details.overdue_purchase_invoices),
  ];
  parts.push(element("h3", "Reports"), await reportLinks(companyId));
  body.replaceChildren(...parts);
  pane.hidden = false;
  document.getElementById("close-details").focus();
}

// The Excel workbooks of the company's statements, as download links.
async function reportLinks(companyId) {
  try {
    const { reports } = await api(`/api/v1/companies/${encodeURIComponent(companyId)}/reports`);
    const list = element("ul", null, { class: "reports" });
    reports.forEach((r) => {
      const li = element("li");
      li.append(element("a", `${r.title} (Excel)`, { href: r.url, download: "" }));
      list.append(li);
    });
    return list;
  } catch (error) {
    return element("p", `Reports are not available (${error.message}).`, { class: "muted" });
  }
}

export function configureDetails() {
  document.getElementById("close-details").addEventListener("click", () => {
    document.getElementById("details").hidden = true;
  });
}
