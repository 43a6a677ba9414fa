// The auditor's view: ballots with their digests and results, the latest signed checkpoint,
// bundle downloads for offline verification, and a paginated electorate (never all rows at once).

import { api, isMissingRoute } from "../api.js";
import { coalesce, h, problemBox, replace } from "../dom.js";
import { t } from "../i18n.js";
import { LiveStream } from "../live.js";
import { detailed, resultView, setLiveState, turnoutText } from "./common.js";

const PAGE = 10;
const ELECTORATE_PAGE = 50;

export async function mount(root, { assemblies }) {
  const mine = assemblies.find((a) => a.roles.includes("auditor")) || assemblies.find((a) => a.roles.includes("chair")) || assemblies[0];
  if (!mine) { replace(root, h("p", { class: "notice" }, t("auditor.no_assembly"))); return {}; }
  const assemblyId = mine.assembly_id;
  const checkpointBox = h("section", { "aria-labelledby": "cp-h" });
  const ballotsBox = h("section", { "aria-labelledby": "aballots-h", id: "auditor-ballots" });
  const electorateBox = h("section", { "aria-labelledby": "el-h", hidden: true });
  replace(root, h("h1", {}, t("auditor.title"), " · ", mine.name), checkpointBox, ballotsBox, electorateBox);
  let offset = null;

  async function loadCheckpoint() {
    const parts = [h("h2", { id: "cp-h" }, t("auditor.checkpoint"))];
    try {
      const cp = await api("/api/audit/checkpoint");
      parts.push(h("p", {}, t("auditor.tree_size", { size: cp.tree_size })), h("p", {}, t("auditor.root"), " ", h("code", {}, cp.root)),
        h("pre", { class: "mono", id: "checkpoint-text" }, cp.checkpoint));
    } catch (error) {
      parts.push(isMissingRoute(error) ? h("p", { class: "notice" }, t("auditor.no_log")) : problemBox(error));
    }
    replace(checkpointBox, parts);
  }

  async function download(ballot, status) {
    replace(status, t("auditor.downloading"));
    try {
      const response = await api(`/api/ballots/${ballot.id}/audit-bundle`, { raw: true });
      const blob = await response.blob();
      const link = h("a", { href: URL.createObjectURL(blob), download: `ballot-${ballot.id}-bundle.json` });
      document.body.append(link);
      link.click();
      link.remove();
      replace(status, h("span", { class: "ok" }, t("auditor.downloaded", { bytes: blob.size })), " ",
        h("span", { class: "muted" }, t("auditor.verify_hint", { file: `ballot-${ballot.id}-bundle.json` })));
    } catch (error) {
      replace(status, isMissingRoute(error) ? h("span", { class: "notice" }, t("auditor.no_bundle")) : problemBox(error));
    }
  }

  async function showElectorate(ballot, from = 0) {
    const page = await api(`/api/ballots/${ballot.id}/electorate?limit=${ELECTORATE_PAGE}&offset=${from}`);
    electorateBox.hidden = false;
    replace(electorateBox, h("h2", { id: "el-h" }, t("auditor.electorate"), ": ", ballot.question),
      h("p", { class: "muted" }, t("auditor.electorate_sha"), " ", h("code", {}, ballot.electorate_sha256 || "-")),
      h("table", {}, h("thead", {}, h("tr", {}, ["member", "kind", "weight", "eligible"].map((c) => h("th", { scope: "col" }, t(`auditor.col.${c}`))))),
        h("tbody", {}, page.items.map((row) => h("tr", {}, h("td", {}, row.member_name ?? row.delegation_id), h("td", {}, row.kind ?? ""),
          h("td", {}, row.weight), h("td", {}, row.eligible ? "✓" : (row.reasons || []).join(", ")))))),
      h("div", { class: "pager" },
        h("button", { type: "button", class: "secondary", disabled: from === 0, onclick: () => showElectorate(ballot, Math.max(0, from - ELECTORATE_PAGE)) }, t("common.previous")),
        h("span", {}, t("common.range", { from: page.total ? from + 1 : 0, to: Math.min(page.total, from + ELECTORATE_PAGE), total: page.total })),
        h("button", { type: "button", class: "secondary", disabled: from + ELECTORATE_PAGE >= page.total, onclick: () => showElectorate(ballot, from + ELECTORATE_PAGE) }, t("common.next"))));
  }

  async function loadBallots() {
    const total = (await api(`/api/assemblies/${assemblyId}/ballots?limit=1`)).total;
    const from = offset ?? Math.max(0, total - PAGE);
    const page = total ? await api(`/api/assemblies/${assemblyId}/ballots?limit=${PAGE}&offset=${from}`) .then((p) => detailed(p.items)).then((items) => ({ items })) : { items: [] };
    replace(ballotsBox, h("h2", { id: "aballots-h" }, t("ballot.title")),
      page.items.length ? null : h("p", { class: "muted" }, t("ballot.none")),
      page.items.slice().reverse().map((ballot) => {
        const status = h("div", { role: "status", class: "bundle-status" });
        return h("article", { "data-ballot": ballot.id, "data-status": ballot.status },
          h("h3", {}, ballot.question, " ", h("span", { class: "muted" }, t(`ballot.status.${ballot.status}`))),
          h("dl", {},
            h("dt", {}, t("auditor.text_sha")), h("dd", {}, h("code", {}, ballot.text_sha256 || "-")),
            h("dt", {}, t("auditor.electorate_sha")), h("dd", {}, h("code", {}, ballot.electorate_sha256 || "-")),
            ballot.turnout ? [h("dt", {}, t("auditor.turnout")), h("dd", {}, turnoutText(ballot.turnout))] : null),
          resultView(ballot),
          ballot.result ? h("p", { class: "muted" }, t("auditor.quorum"), " ", ballot.result.quorum_arithmetic) : null,
          h("div", { class: "row" },
            ballot.status !== "draft" ? h("button", { type: "button", class: "download", onclick: () => download(ballot, status) }, t("auditor.download")) : null,
            ballot.status !== "draft" ? h("button", { type: "button", class: "secondary", onclick: () => showElectorate(ballot) }, t("auditor.show_electorate")) : null),
          status);
      }),
      total > PAGE ? h("div", { class: "pager" },
        h("button", { type: "button", class: "secondary", disabled: from === 0, onclick: () => { offset = Math.max(0, from - PAGE); loadBallots(); } }, t("common.older")),
        h("span", {}, t("common.range", { from: from + 1, to: Math.min(total, from + PAGE), total })),
        h("button", { type: "button", class: "secondary", disabled: from + PAGE >= total, onclick: () => { offset = from + PAGE >= total - PAGE ? null : from + PAGE; loadBallots(); } }, t("common.newer"))) : null);
  }

  const refreshBallots = coalesce(() => loadBallots().catch(() => {}));
  const refreshCheckpoint = coalesce(() => loadCheckpoint().catch(() => {}), 2000);
  const live = new LiveStream(assemblyId, {
    onState: setLiveState,
    onSync: () => { refreshBallots(); refreshCheckpoint(); },
    onEvent: (type) => {
      if (type === "ballot.turnout") return;
      if (type.startsWith("ballot.")) { refreshBallots(); refreshCheckpoint(); }
    },
  });
  await Promise.all([loadBallots(), loadCheckpoint()]);
  live.start();
  window.assemblyLive = live;
  return { unmount: () => live.stop() };
}
