// Message catalogues: /app/i18n/<lang>.json. English is complete; French and Spanish cover the
// delegate's voting flow, and any key they lack falls back to English.

const LANGS = ["en", "fr", "es"];
let messages = {};
let fallback = {};
let current = "en";

export function language() { return current; }

export function chooseLanguage() {
  const asked = new URLSearchParams(location.search).get("lang") || localStorage.getItem("assembly.lang")
    || (navigator.language || "en").slice(0, 2);
  return LANGS.includes(asked) ? asked : "en";
}

export async function loadLanguage(lang) {
  current = LANGS.includes(lang) ? lang : "en";
  if (!Object.keys(fallback).length) fallback = await (await fetch("/app/i18n/en.json")).json();
  messages = current === "en" ? fallback : await (await fetch(`/app/i18n/${current}.json`)).json();
  localStorage.setItem("assembly.lang", current);
  document.documentElement.lang = current;
}

/** The message `key` in the current language, with {name} placeholders filled from `params`. */
export function t(key, params = {}) {
  const text = messages[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? `{${name}}`));
}
