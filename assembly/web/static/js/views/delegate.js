// The delegate's page: current item, the floor, motions, and a ballot for every voting right held.

import { ApiError, api, isMissingRoute } from "../api.js";
import { coalesce, h, newestLoads, problemBox, replace } from "../dom.js";
import { t } from "../i18n.js";
import { LiveStream } from "../live.js";
import { verifyReceipt } from "../merkle.js";
import { amendmentView, detailed, optionLabel, resultView, setLiveState, turnoutText } from "./common.js";

const RECEIPTS = "assembly.receipts";

function storedReceipts() {
  try { return JSON.parse(localStorage.getItem(RECEIPTS) || "{}"); } catch { return {}; }
}

function storeReceipt(ballotId, votes) {
  const all = storedReceipts();
  all[ballotId] = votes;
  localStorage.setItem(RECEIPTS, JSON.stringify(all));
}

export async function mount(root, { assemblies }) {
  const mine = assemblies.find((a) => a.delegation);
  if (!mine) { replace(root, h("p", { class: "notice" }, t("delegate.no_delegation"))); return {}; }
  const assemblyId = mine.assembly_id;
  const names = new Map([[mine.delegation.delegation_id, mine.delegation.member_name]]);
  const drafts = new Map();      // ballot id -> {delegation id -> choice}, kept across live refreshes
  const confirming = new Set();  // ballots whose confirmation step is showing
  const errors = new Map();      // ballot id -> the last refusal

  const itemBox = h("section", { "aria-labelledby": "item-h" });
  const ballotsBox = h("section", { "aria-labelledby": "ballots-h", id: "ballots" });
  const motionsBox = h("section", { "aria-labelledby": "motions-h" });
  replace(root, h("h1", {}, mine.name, " · ", mine.delegation.member_name), ballotsBox, itemBox, motionsBox);

  async function delegationName(id) {
    if (!names.has(id)) {
      try { names.set(id, (await api(`/api/delegations/${id}`)).member_name); } catch { names.set(id, id.slice(0, 8)); }
    }
    return names.get(id);
  }

  // -- agenda and the floor --------------------------------------------------------------------
  async function loadItem() {
    const agenda = await api(`/api/assemblies/${assemblyId}/agenda`);
    const current = agenda.items.find((i) => i.id === agenda.current_item_id);
    if (!current) { replace(itemBox, h("h2", { id: "item-h" }, t("agenda.current")), h("p", { class: "muted" }, t("agenda.none"))); return; }
    const speakers = await api(`/api/agenda-items/${current.id}/speakers`);
    const mineReq = speakers.my_request;
    const place = speakers.my_position ? t("speakers.place", { n: speakers.my_position }) : mineReq?.status === "speaking" ? t("speakers.you_speak") : "";
    replace(itemBox, h("h2", { id: "item-h" }, t("agenda.current")),
      h("p", { id: "current-item" }, h("strong", {}, current.title), " ", h("span", { class: "muted" }, t(`agenda.kind.${current.kind}`))),
      speakers.current_speaker ? h("p", {}, t("speakers.speaking", { name: speakers.current_speaker.member_name })) : null,
      h("p", { id: "my-place", role: "status" }, place),
      h("div", { class: "row" },
        !mineReq && speakers.list_open ? h("button", { type: "button", onclick: () => act(() => api(`/api/agenda-items/${current.id}/speakers/requests`, { method: "POST", body: {} })) }, t("speakers.ask")) : null,
        !mineReq && speakers.list_open ? h("button", { type: "button", class: "secondary", onclick: () => act(() => api(`/api/agenda-items/${current.id}/speakers/requests`, { method: "POST", body: { kind: "point_of_order" } })) }, t("speakers.point_of_order")) : null,
        mineReq && mineReq.status === "pending" ? h("button", { type: "button", class: "secondary", onclick: () => act(() => api(`/api/speaker-requests/${mineReq.request_id}/withdraw`, { method: "POST", body: {} })) }, t("speakers.withdraw")) : null));
    async function act(fn) {
      try { await fn(); await loadItem(); } catch (error) { itemBox.append(problemBox(error)); }
    }
  }

  // -- motions ---------------------------------------------------------------------------------
  async function loadMotions() {
    const page = await api(`/api/assemblies/${assemblyId}/motions?limit=20`);
    const items = [];
    for (const summary of page.items.filter((m) => !["draft", "withdrawn"].includes(m.status)).slice(0, 5)) {
      const motion = await api(`/api/motions/${summary.id}`);
      items.push(h("article", { "data-motion": motion.id },
        h("h3", {}, motion.title, " ", h("span", { class: "muted" }, t(`motion.status.${motion.status}`))),
        h("ol", {}, motion.current_version.paragraphs.map((p) => h("li", {}, p.text))),
        motion.amendments.length ? [h("h4", {}, t("motion.amendments")), h("ul", {}, motion.amendments.map((a) => amendmentView(a, motion.current_version.paragraphs)))] : null));
    }
    replace(motionsBox, h("h2", { id: "motions-h" }, t("motion.title")), items.length ? items : h("p", { class: "muted" }, t("motion.none")),
      page.total > 5 ? h("p", { class: "muted" }, t("common.more", { n: page.total - 5 })) : null);
  }

  // -- ballots ---------------------------------------------------------------------------------
  // Loads overlap (a live refresh while the delegate reviews a vote): only the newest one renders, so a
  // slower, older answer never replaces a newer page (and never drops the confirmation step).
  const startBallotsLoad = newestLoads();
  let focusAfterRender = null;  // a selector to focus once the next render is in place
  async function loadBallots() {
    const isNewest = startBallotsLoad();
    // The open ballots (each with the rights this delegation holds in it) and the last closed ones are
    // fetched side by side: a page's wait is the slowest request, not their sum.
    const openBallots = api(`/api/assemblies/${assemblyId}/ballots?status=open&limit=20`)
      .then((page) => detailed(page.items))
      .then((open) => Promise.all(open.map((ballot) => ballotForm(ballot).then((form) => ({ ballot, form })))));
    const closedBallots = api(`/api/assemblies/${assemblyId}/ballots?status=closed&limit=1`).then(async (closedPage) =>
      closedPage.total > 0
        ? (await detailed((await api(`/api/assemblies/${assemblyId}/ballots?status=closed&limit=3&offset=${Math.max(0, closedPage.total - 3)}`)).items)).reverse()
        : []);
    const [open, lastClosed] = await Promise.all([openBallots, closedBallots]);
    const parts = [h("h2", { id: "ballots-h" }, t("ballot.title"))];
    if (!open.length) parts.push(h("p", { class: "muted", id: "no-open-ballot" }, t("ballot.none_open")));
    for (const { form } of open) parts.push(form);
    for (const ballot of lastClosed) parts.push(closedBallot(ballot));
    if (!isNewest()) return;  // a newer load is under way and renders instead
    // Keep the keyboard user's place across a live re-render.
    const focused = document.activeElement;
    const key = focused && ballotsBox.contains(focused) && focused.name ? `[name="${focused.name}"][value="${focused.value}"]` : null;
    replace(ballotsBox, parts);
    const target = focusAfterRender || key;
    focusAfterRender = null;
    const element = target ? ballotsBox.querySelector(target) : null;
    if (element && !element.matches("button, input, select, textarea, a[href]")) element.setAttribute("tabindex", "-1");
    element?.focus();
  }

  function receiptList(ballot) {
    const votes = storedReceipts()[ballot.id];
    if (!votes?.length) return null;
    return h("div", { class: "receipt", "data-receipt": ballot.id },
      h("h4", {}, t("receipt.title")),
      h("ul", {}, votes.map((vote) => h("li", {},
        `${vote.name}: `, vote.choice ? optionLabel(ballot, vote.choice) : t("receipt.secret"), " · ",
        vote.tracker ? [t("receipt.tracker"), " ", h("code", { class: "tracker" }, vote.tracker), " ", checkButton(vote.tracker)]
          : h("span", { class: "muted" }, t("receipt.no_tracker"))))));
  }

  let vkey = null;
  async function logKey() {
    if (vkey === null) {
      const response = await fetch("/.well-known/assembly-log-key");
      vkey = response.ok ? await response.text() : "";
    }
    return vkey || undefined;
  }

  function checkButton(tracker) {
    const out = h("span", { class: "receipt-check", role: "status" });
    const button = h("button", { type: "button", class: "secondary", onclick: async () => {
      button.disabled = true;
      replace(out, t("receipt.checking"));
      for (let attempt = 0; attempt < 15; attempt++) {
        try {
          const receipt = await api(`/api/audit/receipts/${tracker}`);
          const verdict = await verifyReceipt(receipt, await logKey());
          replace(out, verdict.ok && verdict.signed
            ? h("span", { class: "ok", "data-verified": "true" }, t("receipt.verified", { index: receipt.leaf_index, size: receipt.tree_size, root: verdict.root.slice(0, 16) }))
            : h("span", { class: "bad", "data-verified": "false" }, t("receipt.mismatch")));
          button.disabled = false;
          return;
        } catch (error) {
          if (isMissingRoute(error)) { replace(out, h("span", { class: "muted" }, t("receipt.no_log"))); button.disabled = false; return; }
          if (error instanceof ApiError && error.code === "receipt_pending") {
            replace(out, t("receipt.pending"));
            await new Promise((resolve) => setTimeout(resolve, 2000));
            continue;
          }
          replace(out, problemBox(error)); button.disabled = false; return;
        }
      }
      button.disabled = false;
    } }, t("receipt.check"));
    return h("span", {}, button, " ", out);
  }

  async function ballotForm(ballot) {
    let rights;
    try { rights = await api(`/api/ballots/${ballot.id}/my-rights`); }
    catch (error) { return h("article", { "data-ballot": ballot.id }, h("h3", {}, ballot.question), problemBox(error)); }
    const draft = drafts.get(ballot.id) || {};
    drafts.set(ballot.id, draft);
    const changeable = ballot.vote_change_allowed;
    const votable = rights.rights.filter((r) => !r.voted || changeable);
    const fieldsets = [];
    for (const right of rights.rights) {
      const name = await delegationName(right.delegation_id);
      const legend = right.kind === "own" ? t("ballot.right_own", { name }) : t("ballot.right_proxy", { name });
      const group = `b-${ballot.id}-${right.delegation_id}`;
      fieldsets.push(h("fieldset", { "data-right": right.delegation_id, "data-kind": right.kind },
        h("legend", {}, legend, right.weight !== 1 ? ` (${t("ballot.weight")} ${right.weight})` : ""),
        right.voted ? h("p", { class: "ok" }, t("ballot.voted_already"), right.choice ? `: ${optionLabel(ballot, right.choice)}` : "") : null,
        (!right.voted || changeable) ? ballot.options.map((option) => h("label", { class: "choice" },
          h("input", { type: "radio", name: group, value: option, checked: draft[right.delegation_id] === option,
            onchange: () => { draft[right.delegation_id] = option; } }),
          optionLabel(ballot, option))) : null));
    }
    const error = errors.get(ballot.id);
    const chosen = votable.filter((r) => draft[r.delegation_id]);
    const confirmBox = confirming.has(ballot.id) ? h("div", { class: "notice", role: "region", "aria-label": t("ballot.confirm_title") },
      h("h4", {}, t("ballot.confirm_title")),
      h("ul", {}, await Promise.all(chosen.map(async (r) => h("li", {}, `${await delegationName(r.delegation_id)}: ${optionLabel(ballot, draft[r.delegation_id])}`)))),
      h("div", { class: "row" },
        h("button", { type: "button", class: "confirm", onclick: () => cast(ballot, chosen, draft) }, t("ballot.confirm")),
        h("button", { type: "button", class: "secondary", onclick: () => { confirming.delete(ballot.id); loadBallots(); } }, t("ballot.back")))) : null;
    return h("article", { "data-ballot": ballot.id, class: "open-ballot" },
      h("h3", {}, ballot.question),
      h("p", { class: "muted" }, ballot.secret ? t("ballot.secret") : t("ballot.roll_call"), " · ", turnoutText(ballot.turnout)),
      h("form", { onsubmit: (event) => {
        event.preventDefault();
        errors.delete(ballot.id);
        if (!votable.some((r) => draft[r.delegation_id])) { errors.set(ballot.id, new Error(t("ballot.choose_first"))); loadBallots(); return; }
        confirming.add(ballot.id);
        focusAfterRender = `[data-ballot="${ballot.id}"] button.confirm`;  // the confirmation step takes the focus
        loadBallots();
      } }, fieldsets,
      votable.length && !confirming.has(ballot.id) ? h("button", { type: "submit", class: "review" }, t("ballot.review")) : null),
      confirmBox, error ? problemBox(error, t("ballot.refused")) : null, receiptList(ballot));
  }

  async function cast(ballot, chosen, draft) {
    try {
      const answer = await api(`/api/ballots/${ballot.id}/votes`, { method: "POST",
        body: { votes: chosen.map((r) => ({ delegation_id: r.delegation_id, choice: draft[r.delegation_id] })) } });
      const votes = [];
      for (const vote of answer.votes) {
        votes.push({ name: await delegationName(vote.delegation_id), choice: vote.choice,
          tracker: vote.tracker || (answer.votes.length === 1 ? answer.tracker : null) || null });
      }
      storeReceipt(ballot.id, votes);
      drafts.delete(ballot.id);
      errors.delete(ballot.id);
    } catch (error) {
      errors.set(ballot.id, error);
    }
    confirming.delete(ballot.id);
    // The refusal or the receipt takes the focus, whichever load renders last.
    focusAfterRender = `[data-ballot="${ballot.id}"] .alert, [data-ballot="${ballot.id}"] .receipt`;
    await loadBallots();
  }

  function closedBallot(ballot) {
    return h("article", { "data-ballot": ballot.id, class: "closed-ballot" },
      h("h3", {}, ballot.question, " ", h("span", { class: "muted" }, t("ballot.closed"))),
      resultView(ballot), receiptList(ballot));
  }

  // -- live ------------------------------------------------------------------------------------
  const refreshBallots = coalesce(() => loadBallots().catch(() => {}));
  const refreshItem = coalesce(() => loadItem().catch(() => {}));
  const refreshMotions = coalesce(() => loadMotions().catch(() => {}), 500);
  const live = new LiveStream(assemblyId, {
    onState: setLiveState,
    onSync: () => { refreshBallots(); refreshItem(); refreshMotions(); },
    onEvent: (type) => {
      // Turnout hints come after every cast: a delegate's page does not re-fetch for them (3,000 voters
      // would mean 3,000 refreshes on every open page); opening and closing do re-fetch.
      if (type === "ballot.turnout") return;
      if (type.startsWith("ballot.")) refreshBallots();
      else if (type.startsWith("agenda.") || type === "speakers.changed") refreshItem();
      else if (type.startsWith("motion") || type.startsWith("amendment")) refreshMotions();
    },
  });
  await Promise.all([loadBallots(), loadItem(), loadMotions()]);
  live.start();
  window.assemblyLive = live;  // read by the end-to-end tests: how many times the stream reconnected
  return { unmount: () => live.stop() };
}
