// The web client: a hash router over four views (delegate, chair, auditor, public) and the login form.

import { api, logIn, logOut, session } from "./api.js";
import { h, problemBox, replace } from "./dom.js";
import { chooseLanguage, loadLanguage, t } from "./i18n.js";

const VIEWS = {
  delegate: () => import("./views/delegate.js"),
  chair: () => import("./views/chair.js"),
  auditor: () => import("./views/auditor.js"),
  public: () => import("./views/public.js"),
};

const main = document.getElementById("main");
let mounted = null;
let myAssemblies = null;

function route() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  return { name: path || "", params: new URLSearchParams(query || "") };
}

async function loadMine() {
  if (!session()) return null;
  if (!myAssemblies) myAssemblies = (await api("/api/me/assemblies")).assemblies;
  return myAssemblies;
}

function defaultView(assemblies) {
  const first = assemblies?.[0];
  if (!first) return "public";
  if (first.roles.includes("chair")) return "chair";
  if (first.roles.includes("auditor")) return "auditor";
  if (first.delegation) return "delegate";
  return "public";
}

function renderChrome(assemblies) {
  const nav = document.getElementById("nav");
  const current = route().name;
  const links = [];
  const first = assemblies?.[0];
  if (first?.delegation) links.push(["delegate", t("nav.delegate")]);
  if (first?.roles.includes("chair") || session()?.user?.is_admin) links.push(["chair", t("nav.chair")]);
  if (first?.roles.includes("auditor") || first?.roles.includes("chair")) links.push(["auditor", t("nav.auditor")]);
  const publicHash = first ? `#/public?assembly=${first.assembly_id}` : "#/public";
  replace(nav, links.map(([name, label]) => h("a", { href: `#/${name}`, "aria-current": current === name ? "page" : null }, label)),
    h("a", { href: publicHash, "aria-current": current === "public" ? "page" : null }, t("nav.public")));
  const who = document.getElementById("who");
  const user = session()?.user;
  replace(who, user
    ? [h("span", {}, user.full_name + " "), h("button", { class: "secondary", type: "button", onclick: async () => {
        await logOut(); myAssemblies = null; location.hash = "#/login"; } }, t("auth.logout"))]
    : h("a", { href: "#/login" }, t("auth.login")));
  document.getElementById("lang-label").textContent = t("nav.language");
}

function loginView() {
  const error = h("div");
  const email = h("input", { id: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", { id: "password", type: "password", autocomplete: "current-password", required: true });
  const form = h("form", { onsubmit: async (event) => {
    event.preventDefault();
    replace(error);
    try {
      await logIn(email.value.trim(), password.value);
      myAssemblies = null;
      location.hash = `#/${defaultView(await loadMine())}`;
    } catch (failure) {
      replace(error, problemBox(failure, t("auth.failed")));
    }
  } },
  h("h1", {}, t("auth.title")),
  h("label", { for: "email" }, t("auth.email")), email,
  h("label", { for: "password" }, t("auth.password")), password,
  h("p", {}, h("button", { type: "submit" }, t("auth.submit"))), error);
  replace(main, h("section", {}, form));
  email.focus();
}

async function render() {
  mounted?.unmount?.();
  mounted = null;
  const { name, params } = route();
  let assemblies = null;
  try { assemblies = await loadMine(); } catch { assemblies = null; }
  renderChrome(assemblies);
  if (name === "login" || (!session() && name !== "public")) { loginView(); return; }
  const view = VIEWS[name] ? name : defaultView(assemblies);
  if (view !== name) { location.hash = view === "public" && assemblies?.[0] ? `#/public?assembly=${assemblies[0].assembly_id}` : `#/${view}`; return; }
  const module = await VIEWS[view]();
  replace(main, h("p", {}, t("common.loading")));
  try {
    mounted = await module.mount(main, { assemblies: assemblies || [], params, session: session() });
  } catch (failure) {
    replace(main, problemBox(failure));
  }
}

const select = document.getElementById("lang");
select.addEventListener("change", async () => { await loadLanguage(select.value); render(); });

(async () => {
  const lang = chooseLanguage();
  select.value = lang;
  await loadLanguage(lang);
  window.addEventListener("hashchange", render);
  render();
})();
