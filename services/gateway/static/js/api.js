// Talking to the gateway: JSON in and out, and problem details turned into sentences.
"use strict";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problemText(status, problem));
    this.status = status;
    this.problem = problem;
  }
}

function problemText(status, problem) {
  if (problem && problem.detail) return typeof problem.detail === "string" ? problem.detail : JSON.stringify(problem.detail);
  if (problem && problem.title) return problem.title;
  return `the hub answered ${status}`;
}

// Resolves to the parsed body (or null for 204); rejects with ApiError for any non-2xx answer.
export async function api(path, { method = "GET", body } = {}) {
  const options = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

// Calls `onUnauthorized` once when the session ended, so every module can just `await`.
let unauthorizedHandler = () => {};
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}
export function handleError(error, statusNode) {
  if (error instanceof ApiError && error.status === 401) {
    unauthorizedHandler();
    return;
  }
  if (statusNode) statusNode.textContent = `${error.message}`;
}
