// A tiny element builder: h("button", {onclick}, "text"). Text is always set as text, never as HTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

/** An alert that shows the server's reason for a refusal (problem details' detail, and its code). */
export function problemBox(error, prefix) {
  const problem = error?.problem;
  const detail = problem?.detail || error?.message || String(error);
  return h("div", { class: "alert", role: "alert", "data-code": problem?.code || "" },
    prefix ? h("strong", {}, prefix + " ") : null, detail, problem?.code ? h("span", { class: "muted" }, ` (${problem.code})`) : null);
}

/** Debounce a refresh so a burst of live hints costs one fetch. */
export function coalesce(fn, ms = 250) {
  let timer = null;
  return () => { if (timer === null) timer = setTimeout(() => { timer = null; fn(); }, ms); };
}

/**
 * For loads that may overlap (a live refresh while another is under way): each call starts a load and
 * returns `isNewest()`, true until a later load starts. Only the newest load renders, so an older
 * answer never paints over a newer one.
 */
export function newestLoads() {
  let latest = 0;
  return () => { const mine = ++latest; return () => mine === latest; };
}
