// Calls to the assembly API: bearer token, token refresh, RFC 9457 problem details as errors.

const KEY = "assembly.session";

export class ApiError extends Error {
  // A refusal from the server: `problem` is its RFC 9457 body (code, detail, errors, ...).
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.code = problem.code || "http_" + status;
  }
}

export function session() {
  try { return JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch { return null; }
}

export function saveSession(value) {
  if (value) sessionStorage.setItem(KEY, JSON.stringify(value)); else sessionStorage.removeItem(KEY);
}

export function token() { return session()?.access_token || null; }

let refreshing = null;

/**
 * Trade the refresh token for a new access token; false when the login session has ended. One at a
 * time: refresh tokens rotate, so two concurrent refreshes would present a spent token.
 */
export function refresh() {
  refreshing ??= refreshOnce().finally(() => { refreshing = null; });
  return refreshing;
}

async function refreshOnce() {
  const current = session();
  if (!current?.refresh_token) return false;
  const response = await fetch("/api/auth/refresh", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: current.refresh_token }),
  });
  if (!response.ok) return false;
  const pair = await response.json();
  saveSession({ ...current, access_token: pair.access_token, refresh_token: pair.refresh_token });
  return true;
}

async function problemOf(response) {
  try { return await response.json(); } catch { return { title: response.statusText, status: response.status }; }
}

/** Fetch a path of the API; JSON in, JSON out; a refusal throws ApiError carrying the problem details. */
export async function api(path, { method = "GET", body, raw = false, retried = false } = {}) {
  const headers = { Accept: "application/json" };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && bearer && !retried && await refresh()) {
    return api(path, { method, body, raw, retried: true });
  }
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

/** True when the server answered that the route itself does not exist (a feature not deployed yet). */
export function isMissingRoute(error) {
  return error instanceof ApiError && error.status === 404 && error.code === "not_found";
}

export async function logIn(email, password) {
  const answer = await api("/api/auth/login", { method: "POST", body: { email, password } });
  saveSession({ access_token: answer.access_token, refresh_token: answer.refresh_token, user: answer.user });
  return answer.user;
}

export async function logOut() {
  const current = session();
  saveSession(null);
  if (current?.access_token) {
    // Ends the login session on the server: its refresh and access tokens stop working.
    try { await fetch("/api/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${current.access_token}` } }); }
    catch { /* logging out locally is what matters */ }
  }
}
