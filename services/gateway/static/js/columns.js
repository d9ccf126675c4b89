// The dashboard's figure columns: what the API calls them, their headers, how each cell reads.
"use strict";

import { amount, element } from "./format.js";

function moneyText(figures, { counts }) {
  return figures.map((f) => (counts ? `${amount(f.amount, f.currency)} (${f.count})` : amount(f.amount, f.currency))).join(", ");
}

// A money figure per currency; unfavourable figures are marked in words as well as colour.
function moneyCell(figures, { empty, unfavourable = null, counts = true }) {
  if (!figures || figures.length === 0) return { text: empty, className: "figure muted" };
  const parts = moneyText(figures, { counts });
  const negative = figures.some((f) => Number(f.amount) < 0);
  if (unfavourable || negative) return { text: `${unfavourable || "Negative"}: ${parts}`, className: "figure unfavourable" };
  return { text: parts, className: "figure" };
}

function countCell(value, { empty, unfavourable = null }) {
  if (!value) return { text: empty, className: "figure muted" };
  if (unfavourable) return { text: `${unfavourable}: ${value}`, className: "figure unfavourable" };
  return { text: String(value), className: "figure" };
}

function documentsCell(docs) {
  if (!docs || !docs.total) return { text: "None", className: "figure muted" };
  return {
    text: `${docs.total} (quotes ${docs.quotes}, orders ${docs.orders}, credit memos ${docs.credit_memos}, drafts ${docs.draft_invoices})`,
    className: "figure",
  };
}

// `sort` is the API's sort key for the column, when it can be sorted on.
export const COLUMNS = [
  { key: "my_tasks", header: "My tasks", sort: "my_tasks", cell: (r) => countCell(r.my_tasks, { empty: "None" }) },
  {
    key: "my_overdue_tasks",
    header: "My overdue tasks",
    sort: "my_overdue_tasks",
    cell: (r) => countCell(r.my_overdue_tasks, { empty: "None", unfavourable: "Overdue" }),
  },
  { key: "cash", header: "Cash", cell: (r) => moneyCell(r.cash, { empty: "No cash accounts", counts: false }) },
  {
    key: "overdue_sales",
    header: "Overdue sales invoices",
    sort: "overdue_sales_count",
    cell: (r) => moneyCell(r.overdue_sales, { empty: "None overdue", unfavourable: "Overdue" }),
  },
  {
    key: "overdue_purchases",
    header: "Overdue purchase invoices",
    sort: "overdue_purchases_count",
    cell: (r) => moneyCell(r.overdue_purchases, { empty: "None overdue", unfavourable: "Overdue" }),
  },
  {
    key: "purchase_due_next_week",
    header: "Purchase invoices due next week",
    sort: "purchase_due_next_week_count",
    cell: (r) => moneyCell(r.purchase_due_next_week, { empty: "None due" }),
  },
  {
    key: "open_sales_documents",
    header: "Open sales documents",
    sort: "open_sales_documents",
    cell: (r) => documentsCell(r.open_sales_documents),
  },
  {
    key: "taxes_due",
    header: "Taxes due",
    title: "Credit balance of tax-payable accounts",
    cell: (r) => moneyCell(r.taxes_due, { empty: "None", counts: false }),
  },
];

export const DEFAULT_COLUMNS = ["my_tasks", "my_overdue_tasks", "cash", "overdue_sales", "overdue_purchases"];

export function headerCell(column, sort, onSort) {
  const th = element("th", null, { scope: "col" });
  const label = column.title ? element("abbr", column.header, { title: column.title }) : element("span", column.header);
  if (!column.sort) {
    th.append(label);
    return th;
  }
  const ascending = sort === column.sort;
  const descending = sort === `-${column.sort}`;
  th.setAttribute("aria-sort", ascending ? "ascending" : descending ? "descending" : "none");
  const button = element("button", null, { type: "button", class: "sort" });
  button.append(label, element("span", ascending ? " ▲" : descending ? " ▼" : "", { "aria-hidden": "true" }));
  button.setAttribute("aria-label", `Sort by ${column.header}${ascending ? ", descending next" : ""}`);
  button.addEventListener("click", () => onSort(ascending ? `-${column.sort}` : column.sort));
  th.append(button);
  return th;
}
