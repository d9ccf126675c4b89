// Adding a client: register the connection to the client's system; show connected, or why not.
"use strict";

import { api, handleError } from "./api.js";
import { element } from "./format.js";

export async function loadClients() {
  const list = document.getElementById("client-list");
  try {
    const { clients } = await api("/api/v1/clients");
    list.replaceChildren(
      ...clients.map((c) => {
        const outcome = {
          pending: "connecting…",
          connected: `connected, ${c.companies ?? 0} companies`,
          failed: `not connected: ${c.error}`,
        }[c.state];
        return element("li", `${c.client_name} (${c.tenant}/${c.environment}): ${outcome}`, { class: c.state === "failed" ? "error" : "" });
      }),
    );
  } catch (error) {
    handleError(error, list);
  }
}

export function configureClients() {
  const dialog = document.getElementById("add-client");
  const form = document.getElementById("add-client-form");
  const status = document.getElementById("add-client-status");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    try {
      await api("/api/v1/clients", { method: "POST", body: data });
      status.textContent = `Connecting to ${data.client_name}; its companies appear on the dashboard once connected.`;
      form.reset();
      await loadClients();
      // Sync answers within seconds: show the outcome as it arrives.
      [1000, 3000, 6000, 10000].forEach((ms) => setTimeout(loadClients, ms));
    } catch (error) {
      handleError(error, status);
    }
  });
  document.getElementById("add-client-close").addEventListener("click", () => dialog.close());
}

export function openAddClient() {
  const dialog = document.getElementById("add-client");
  document.getElementById("add-client-status").textContent = "";
  loadClients();
  dialog.showModal();
  dialog.querySelector("input").focus();
}
