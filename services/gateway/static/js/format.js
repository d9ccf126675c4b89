// Formatting figures for people: money with its currency, ages, dates; small DOM helpers.
"use strict";

export function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  return node;
}

export function amount(value, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(value);
  } catch {
    return `${value} ${currency}`;
  }
}

export function ago(iso) {
  if (!iso) return "never synced";
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `synced ${seconds} s ago`;
  if (seconds < 3600) return `synced ${Math.round(seconds / 60)} min ago`;
  if (seconds < 172800) return `synced ${Math.round(seconds / 3600)} h ago`;
  return `synced ${Math.round(seconds / 86400)} days ago`;
}

export function externalLink(text, href, label) {
  return element("a", text, { href, target: "_blank", rel: "noopener", "aria-label": `${label} (opens a new tab)` });
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
