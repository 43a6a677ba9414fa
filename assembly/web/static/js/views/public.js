// The public page: published positions with their vote records, and an assembly's ballot results.
// No login. The event stream needs a login (docs/live-updates.md), so a visitor without one polls the
// public ballot list every few seconds; a logged-in visitor follows the stream instead.

import { api, isMissingRoute, session } from "../api.js";
import { coalesce, h, problemBox, replace } from "../dom.js";
import { t } from "../i18n.js";
import { LiveStream } from "../live.js";
import { detailed, resultView, setLiveState, turnoutText } from "./common.js";

const PAGE = 10;
const POLL_MS = 3000;

function voteRecord(vote) {
  if (!vote) return null;
  if (vote === "consensus" || vote.outcome === "consensus") return h("p", {}, t("public.consensus"));
  const counts = vote.counts || {};
  const entries = Array.isArray(counts) ? counts.map((c) => [c.option, c.heads ?? c.weight]) : Object.entries(counts);
  return h("p", {}, entries.map(([option, n]) => `${option}: ${typeof n === "object" ? JSON.stringify(n) : n}`).join(" · "),
    vote.rule ? h("span", { class: "muted" }, ` (${vote.rule})`) : null);
}

export async function mount(root, { params }) {
  const assemblyId = params.get("assembly");
  const positionsBox = h("section", { "aria-labelledby": "pos-h", id: "positions" });
  const ballotsBox = h("section", { "aria-labelledby": "pballots-h", id: "public-ballots" });
  replace(root, h("h1", {}, t("public.title")), assemblyId ? ballotsBox : null, positionsBox);
  let positionsOffset = 0;

  async function loadPositions() {
    const parts = [h("h2", { id: "pos-h" }, t("public.positions"))];
    try {
      const page = await api(`/api/positions?limit=${PAGE}&offset=${positionsOffset}`);
      if (!page.items.length) parts.push(h("p", { class: "muted" }, t("public.no_positions")));
      parts.push(h("ul", {}, page.items.map((p) => h("li", { "data-position": p.id },
        h("strong", {}, p.symbol ? `${p.symbol} · ` : "", p.title), " ", h("span", { class: "muted" }, [p.body, p.adopted_on, p.process].filter(Boolean).join(" · ")),
        p.sdgs?.length ? h("p", { class: "muted" }, t("public.sdgs"), " ", p.sdgs.join(", ")) : null,
        voteRecord(p.vote),
        h("p", { class: "row" }, ["markdown", "akn", "popolo"].map((f) => h("a", { href: `/api/positions/${p.id}/${f}` }, t(`public.format.${f}`))))))));
      if (page.total > PAGE) {
        parts.push(h("div", { class: "pager" },
          h("button", { type: "button", class: "secondary", disabled: positionsOffset === 0, onclick: () => { positionsOffset -= PAGE; loadPositions(); } }, t("common.previous")),
          h("span", {}, t("common.range", { from: positionsOffset + 1, to: Math.min(page.total, positionsOffset + PAGE), total: page.total })),
          h("button", { type: "button", class: "secondary", disabled: positionsOffset + PAGE >= page.total, onclick: () => { positionsOffset += PAGE; loadPositions(); } }, t("common.next"))));
      }
      parts.push(h("p", {}, h("a", { href: "/api/positions/feed.atom" }, t("public.feed"))));
    } catch (error) {
      parts.push(isMissingRoute(error) ? h("p", { class: "notice" }, t("public.no_publishing")) : problemBox(error));
    }
    replace(positionsBox, parts);
  }

  async function loadBallots() {
    const total = (await api(`/api/assemblies/${assemblyId}/ballots?limit=1`)).total;
    const page = total ? await api(`/api/assemblies/${assemblyId}/ballots?limit=${PAGE}&offset=${Math.max(0, total - PAGE)}`) .then((p) => detailed(p.items)).then((items) => ({ items })) : { items: [] };
    replace(ballotsBox, h("h2", { id: "pballots-h" }, t("public.ballots")),
      page.items.length ? null : h("p", { class: "muted" }, t("ballot.none")),
      page.items.slice().reverse().filter((b) => b.status !== "draft").map((ballot) => h("article", { "data-ballot": ballot.id, "data-status": ballot.status },
        h("h3", {}, ballot.question, " ", h("span", { class: "muted" }, t(`ballot.status.${ballot.status}`))),
        ballot.status === "open" ? h("p", {}, turnoutText(ballot.turnout)) : null,
        resultView(ballot))));
  }

  const work = [loadPositions()];
  let stop = () => {};
  if (assemblyId) {
    work.push(loadBallots());
    if (session()) {
      const refresh = coalesce(() => loadBallots().catch(() => {}));
      const live = new LiveStream(assemblyId, { onState: setLiveState, onSync: refresh,
        onEvent: (type) => { if (type.startsWith("ballot.") && type !== "ballot.turnout") refresh(); } });
      live.start();
      stop = () => live.stop();
    } else {
      setLiveState("polling");
      const timer = setInterval(() => loadBallots().catch(() => setLiveState("reconnecting")), POLL_MS);
      stop = () => clearInterval(timer);
    }
  }
  await Promise.all(work);
  return { unmount: () => stop() };
}
