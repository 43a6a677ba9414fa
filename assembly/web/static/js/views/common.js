// Pieces shared by the views: ballot results, amendment diffs, the live status line.

import { api } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";

export function setLiveState(state) {
  const el = document.getElementById("live-status");
  if (el) { el.textContent = t(`live.${state}`); el.dataset.state = state; }
}

export function optionLabel(ballot, option) {
  if (option === "yes" || option === "no" || option === "abstain") return t(`ballot.option.${option}`);
  return ballot.candidates?.find((c) => c.key === option)?.name || option;
}

/** The stored result: outcome, counts and the arithmetic that decided it. */
export function resultView(ballot) {
  const result = ballot.result;
  if (!result) return null;
  const weighted = result.weighted;
  return h("div", { class: "result-box", "data-ballot": ballot.id, "data-outcome": result.outcome },
    h("p", { class: "result" }, t("ballot.result"), " ", h("span", { class: result.outcome === "adopted" || result.outcome === "elected" ? "ok" : "bad" },
      t(`outcome.${result.outcome}`))),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("ballot.option")),
      h("th", { scope: "col" }, t("ballot.heads")), weighted ? h("th", { scope: "col" }, t("ballot.weight")) : null)),
    h("tbody", {}, result.counts.map((c) => h("tr", {}, h("td", {}, optionLabel(ballot, c.option)), h("td", {}, c.heads),
      weighted ? h("td", {}, c.weight) : null)))),
    h("p", { class: "muted" }, result.arithmetic));
}

export function turnoutText(turnout) {
  if (!turnout) return "";
  return t("ballot.turnout", { voted: turnout.voted, rights: turnout.electorate_rights,
    weight: turnout.voted_weight, total: turnout.electorate_weight });
}

/** An amendment's operations as a readable diff against the paragraphs it targets. */
export function amendmentView(amendment, paragraphs) {
  const byId = new Map((paragraphs || []).map((p) => [p.id, p.text]));
  return h("li", { "data-amendment": amendment.id },
    h("strong", {}, amendment.label), " ", h("span", { class: "muted" }, `${t(`amendment.status.${amendment.status}`)} · ${amendment.sponsor_name}`),
    h("ul", {}, amendment.operations.map((op) => h("li", {},
      h("span", { class: "muted" }, `${op.op} ${op.paragraph_id || ""} `),
      op.paragraph_id && byId.has(op.paragraph_id) && op.op !== "insert_after" && op.op !== "insert_before"
        ? h("del", {}, byId.get(op.paragraph_id)) : null, " ",
      op.text ? h("ins", {}, op.text) : null))));
}

/** The full ballots of a list page (the list gives summaries: no options, turnout or result). Pages are small. */
export function detailed(items) {
  return Promise.all(items.map((b) => api(`/api/ballots/${b.id}`)));
}
