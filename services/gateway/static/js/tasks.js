// My User Tasks: every task assigned to me across clients; create, reassign and complete tasks.
"use strict";

import { api, handleError } from "./api.js";
import { element, externalLink } from "./format.js";

const taskState = { sort: "due_date", filters: {}, pages: [null] };

function query() {
  const params = new URLSearchParams({ sort: taskState.sort, limit: "100" });
  const f = taskState.filters;
  if (f.client) params.set("client", f.client);
  if (f.overdue) params.set("overdue", "true");
  if (f.due_this_week) params.set("due_this_week", "true");
  const cursor = taskState.pages.at(-1);
  if (cursor) params.set("cursor", cursor);
  return params;
}

export async function loadTasks() {
  const status = document.getElementById("tasks-status");
  try {
    const page = await api(`/api/v1/my-tasks?${query()}`);
    renderTasks(page.tasks);
    const next = document.getElementById("tasks-next");
    next.disabled = !page.next_cursor;
    next.dataset.cursor = page.next_cursor || "";
    document.getElementById("tasks-prev").disabled = taskState.pages.length <= 1;
    status.textContent = page.tasks.length ? `${page.tasks.length} open tasks on this page` : "No open tasks assigned to you.";
  } catch (error) {
    handleError(error, status);
  }
}

function renderTasks(tasks) {
  const body = document.getElementById("task-rows");
  body.replaceChildren(
    ...tasks.map((task) => {
      const tr = element("tr", null, { "data-task-id": task.task_id });
      const title = element("td");
      title.append(task.link ? externalLink(task.title, task.link, `${task.title} in the client's system`) : task.title);
      if (task.write_back_error) title.append(element("span", `Could not complete it in the client's system: ${task.write_back_error}`, { class: "error" }));
      const due = element("td", task.due_date ? (task.overdue ? `Overdue: ${task.due_date}` : task.due_date) : "No due date");
      if (task.overdue) due.className = "unfavourable";
      const act = element("td");
      const complete = element("button", "Complete", { type: "button", "aria-label": `Complete “${task.title}”` });
      complete.addEventListener("click", () => command(`/api/v1/tasks/${encodeURIComponent(task.task_id)}/complete`, {}, `Completed “${task.title}”.`));
      const reassign = element("button", "Reassign…", { type: "button", "aria-label": `Reassign “${task.title}”` });
      reassign.addEventListener("click", () => openReassign(task));
      act.append(complete, " ", reassign);
      tr.append(title, element("td", task.client_name), element("td", task.company_name), due, element("td", task.priority), element("td", task.status.replace("_", " ")), act);
      return tr;
    }),
  );
}

async function command(path, body, done, method = "POST") {
  const status = document.getElementById("tasks-outcome");
  try {
    await api(path, { method, body });
    status.textContent = `${done} The list updates as the change reaches your dashboard.`;
    await loadTasks();
    // The list is a projection fed by task events: look again while the change travels.
    [700, 2000, 4500].forEach((ms) => setTimeout(loadTasks, ms));
  } catch (error) {
    handleError(error, status);
  }
}

function openReassign(task) {
  const form = document.getElementById("reassign-task");
  form.hidden = false;
  form.dataset.taskId = task.task_id;
  document.getElementById("reassign-title").textContent = `Reassign “${task.title}”`;
  form.elements.assignee.focus();
}

// Companies for the "new task" form: every company on the dashboard (first 500).
async function loadCompanies() {
  const select = document.getElementById("task-company");
  try {
    const page = await api("/api/v1/dashboard?limit=500&columns=my_tasks");
    select.replaceChildren(...page.rows.map((r) => new Option(`${r.client_name} — ${r.company_name}`, r.company_id)));
  } catch (error) {
    handleError(error, document.getElementById("tasks-status"));
  }
}

export function configureTasks(me) {
  document.getElementById("tasks-sort").addEventListener("change", (event) => {
    taskState.sort = event.target.value;
    taskState.pages = [null];
    loadTasks();
  });
  const filters = document.getElementById("task-filters");
  filters.addEventListener("change", () => {
    const data = new FormData(filters);
    taskState.filters = { client: data.get("client") || undefined, overdue: data.get("overdue") === "on", due_this_week: data.get("due_this_week") === "on" };
    taskState.pages = [null];
    loadTasks();
  });
  filters.addEventListener("submit", (event) => event.preventDefault());
  document.getElementById("tasks-prev").addEventListener("click", () => {
    if (taskState.pages.length > 1) taskState.pages.pop();
    loadTasks();
  });
  document.getElementById("tasks-next").addEventListener("click", (event) => {
    if (event.target.dataset.cursor) taskState.pages.push(event.target.dataset.cursor);
    loadTasks();
  });
  const create = document.getElementById("new-task");
  create.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(create);
    const body = { title: data.get("title"), assignee: data.get("assignee") || me(), priority: data.get("priority") };
    if (data.get("due_date")) body.due_date = data.get("due_date");
    if (data.get("description")) body.description = data.get("description");
    command(`/api/v1/companies/${encodeURIComponent(data.get("company"))}/tasks`, body, `Created “${body.title}”.`).then(() => create.reset());
  });
  const reassign = document.getElementById("reassign-task");
  reassign.addEventListener("submit", (event) => {
    event.preventDefault();
    const assignee = reassign.elements.assignee.value;
    command(`/api/v1/tasks/${encodeURIComponent(reassign.dataset.taskId)}`, { assignee }, `Reassigned to ${assignee}.`, "PATCH").then(() => {
      reassign.hidden = true;
      reassign.reset();
    });
  });
  document.getElementById("reassign-cancel").addEventListener("click", () => {
    reassign.hidden = true;
  });
}

export async function showTasks() {
  await Promise.all([loadCompanies(), loadTasks()]);
}
