// The chair's console: agenda, quorum, speakers with a timer, motions and amendments in voting order,
// ballots (create, open, close, live turnout, results) and adoption by consensus.

import { api } from "../api.js";
import { coalesce, h, newestLoads, problemBox, replace } from "../dom.js";
import { t } from "../i18n.js";
import { LiveStream } from "../live.js";
import { detailed, resultView, setLiveState, turnoutText } from "./common.js";

const BALLOT_PAGE = 10;

export async function mount(root, { assemblies }) {
  const mine = assemblies.find((a) => a.roles.includes("chair")) || assemblies[0];
  if (!mine) { replace(root, h("p", { class: "notice" }, t("chair.no_assembly"))); return {}; }
  const assemblyId = mine.assembly_id;
  const agendaBox = h("section", { "aria-labelledby": "agenda-h" });
  const speakersBox = h("section", { "aria-labelledby": "speakers-h" });
  const ballotsBox = h("section", { "aria-labelledby": "cballots-h", id: "chair-ballots" });
  const motionsBox = h("section", { "aria-labelledby": "cmotions-h" });
  const messages = h("div", { role: "alert" });
  replace(root, h("h1", {}, t("chair.title"), " · ", mine.name), messages, ballotsBox, agendaBox, speakersBox, motionsBox);
  let ballotOffset = null;  // null: the last page, where new ballots appear
  let currentItem = null;
  let timer = null;

  async function act(fn, after) {
    replace(messages);
    try { await fn(); } catch (error) { replace(messages, problemBox(error, t("chair.refused"))); }
    await after?.();
  }

  // -- agenda and quorum -----------------------------------------------------------------------
  async function loadAgenda() {
    const agenda = await api(`/api/assemblies/${assemblyId}/agenda`);
    currentItem = agenda.items.find((i) => i.id === agenda.current_item_id) || null;
    const ids = agenda.items.map((i) => i.id);
    const move = (index, delta) => {
      const order = ids.slice();
      const [moved] = order.splice(index, 1);
      order.splice(index + delta, 0, moved);
      act(() => api(`/api/assemblies/${assemblyId}/agenda/reorder`, { method: "POST", body: { item_ids: order } }), loadAgenda);
    };
    const title = h("input", { id: "new-item-title", required: true, maxlength: 300 });
    const kind = h("select", { id: "new-item-kind" }, ["debate", "motion", "election", "information", "procedural"].map((k) => h("option", { value: k }, t(`agenda.kind.${k}`))));
    replace(agendaBox, h("h2", { id: "agenda-h" }, t("agenda.title")),
      h("ol", {}, agenda.items.map((item, index) => h("li", { "data-item": item.id },
        h("strong", {}, item.title), " ", h("span", { class: "muted" }, `${t(`agenda.kind.${item.kind}`)} · ${t(`agenda.status.${item.status}`)}`),
        item.is_current ? h("span", { class: "ok" }, ` · ${t("agenda.is_current")}`) : null, " ",
        h("span", { class: "row" },
          item.status === "pending" || item.status === "deferred" ? h("button", { type: "button", onclick: () => act(() => api(`/api/agenda-items/${item.id}/open`, { method: "POST" }), sync) }, t("agenda.open")) : null,
          item.status === "open" ? h("button", { type: "button", class: "secondary", onclick: () => act(() => api(`/api/agenda-items/${item.id}/close`, { method: "POST" }), sync) }, t("agenda.close")) : null,
          !item.is_current && item.status === "open" ? h("button", { type: "button", class: "secondary", onclick: () => act(() => api(`/api/assemblies/${assemblyId}/agenda/set-current`, { method: "POST", body: { item_id: item.id } }), sync) }, t("agenda.set_current")) : null,
          index > 0 ? h("button", { type: "button", class: "secondary", "aria-label": t("agenda.move_up", { title: item.title }), onclick: () => move(index, -1) }, "↑") : null,
          index < ids.length - 1 ? h("button", { type: "button", class: "secondary", "aria-label": t("agenda.move_down", { title: item.title }), onclick: () => move(index, 1) }, "↓") : null)))),
      h("form", { class: "row", onsubmit: (e) => { e.preventDefault(); act(() => api(`/api/assemblies/${assemblyId}/agenda-items`, { method: "POST", body: { title: title.value, kind: kind.value } }), loadAgenda); } },
        h("label", { for: "new-item-title" }, t("agenda.new_title")), title, h("label", { for: "new-item-kind" }, t("agenda.new_kind")), kind,
        h("button", { type: "submit" }, t("agenda.add"))),
      h("p", {}, h("button", { type: "button", class: "secondary", onclick: () => act(async () => {
        const call = await api(`/api/assemblies/${assemblyId}/quorum-calls`, { method: "POST", body: {} });
        replace(messages, h("div", { class: "notice", role: "status" }, call.decide.arithmetic));
      }) }, t("quorum.call"))));
  }

  // -- speakers' list with a running timer --------------------------------------------------------
  async function loadSpeakers() {
    clearInterval(timer);
    if (!currentItem) { replace(speakersBox, h("h2", { id: "speakers-h" }, t("speakers.title")), h("p", { class: "muted" }, t("agenda.none"))); return; }
    const list = await api(`/api/agenda-items/${currentItem.id}/speakers`);
    const clock = h("span", { class: "mono", role: "timer", "aria-live": "off" });
    const speaker = list.current_speaker;
    if (speaker) {
      // Count from the server's figures so clocks on different machines agree.
      const base = speaker.elapsed_seconds ?? 0, started = Date.now();
      const tick = () => {
        const elapsed = base + Math.floor((Date.now() - started) / 1000);
        const limit = list.speech_limit_seconds;
        clock.textContent = limit ? `${elapsed}s / ${limit}s` : `${elapsed}s`;
        clock.className = limit && elapsed > limit ? "mono bad" : "mono";
      };
      tick();
      timer = setInterval(tick, 1000);
    }
    const url = `/api/agenda-items/${currentItem.id}/speakers`;
    replace(speakersBox, h("h2", { id: "speakers-h" }, t("speakers.title"), ": ", currentItem.title),
      speaker ? h("p", {}, t("speakers.speaking", { name: speaker.member_name }), " ", clock, " ",
        h("button", { type: "button", class: "secondary", onclick: () => act(() => api(`${url}/end-speech`, { method: "POST", body: {} }), loadSpeakers) }, t("speakers.end"))) : null,
      h("ol", {}, list.waiting.map((r) => h("li", {}, r.member_name, r.kind === "point_of_order" ? ` (${t("speakers.point_of_order")})` : "", " ",
        h("button", { type: "button", class: "secondary", onclick: () => act(() => api(`${url}/give-floor`, { method: "POST", body: { request_id: r.request_id } }), loadSpeakers) }, t("speakers.give"))))),
      h("div", { class: "row" },
        list.waiting.length ? h("button", { type: "button", onclick: () => act(() => api(`${url}/give-floor`, { method: "POST", body: {} }), loadSpeakers) }, t("speakers.next")) : null,
        h("button", { type: "button", class: "secondary", onclick: () => act(() => api(`${url}/${list.list_open ? "close" : "reopen"}`, { method: "POST", body: {} }), loadSpeakers) },
          list.list_open ? t("speakers.close_list") : t("speakers.reopen_list"))));
  }

  // -- ballots -----------------------------------------------------------------------------------
  async function createBallot(body) {
    await act(() => api(`/api/assemblies/${assemblyId}/ballots`, { method: "POST", body }), async () => { ballotOffset = null; await loadBallots(); });
  }

  async function loadBallots() {
    const first = await api(`/api/assemblies/${assemblyId}/ballots?limit=1`);
    const total = first.total;
    const offset = ballotOffset ?? Math.max(0, total - BALLOT_PAGE);
    const page = total ? await api(`/api/assemblies/${assemblyId}/ballots?limit=${BALLOT_PAGE}&offset=${offset}`) .then((p) => detailed(p.items)).then((items) => ({ items })) : { items: [] };
    for (const ballot of page.items) if (ballot.turnout) shownTurnout.set(ballot.id, ballot.turnout);
    const question = h("input", { id: "ballot-question", required: true, maxlength: 2000, size: 40 });
    const secret = h("input", { id: "ballot-secret", type: "checkbox" });
    const weighted = h("input", { id: "ballot-weighted", type: "checkbox" });
    replace(ballotsBox, h("h2", { id: "cballots-h" }, t("ballot.title")),
      h("form", { onsubmit: (e) => { e.preventDefault(); createBallot({ subject_kind: "procedural", question: question.value, secret: secret.checked, weighted: weighted.checked }); } },
        h("h3", {}, t("chair.new_ballot")),
        h("label", { for: "ballot-question" }, t("chair.question")), question,
        h("label", { class: "inline" }, secret, t("ballot.secret")), h("label", { class: "inline" }, weighted, t("chair.weighted")),
        h("button", { type: "submit" }, t("chair.create_ballot"))),
      page.items.slice().reverse().map((ballot) => h("article", { "data-ballot": ballot.id, "data-status": ballot.status },
        h("h3", {}, ballot.question, " ", h("span", { class: "muted" }, t(`ballot.status.${ballot.status}`))),
        ballot.status === "open" ? h("p", { class: "turnout", role: "status" }, turnoutText(ballot.turnout)) : null,
        h("div", { class: "row" },
          ballot.status === "draft" ? h("button", { type: "button", class: "open-ballot", onclick: () => act(() => api(`/api/ballots/${ballot.id}/open`, { method: "POST" }), loadBallots) }, t("chair.open_ballot")) : null,
          ballot.status === "open" ? h("button", { type: "button", class: "close-ballot", onclick: () => act(() => api(`/api/ballots/${ballot.id}/close`, { method: "POST" }), loadBallots) }, t("chair.close_ballot")) : null),
        resultView(ballot))),
      total > BALLOT_PAGE ? h("div", { class: "pager" },
        h("button", { type: "button", class: "secondary", disabled: offset === 0, onclick: () => { ballotOffset = Math.max(0, offset - BALLOT_PAGE); loadBallots(); } }, t("common.older")),
        h("span", {}, t("common.range", { from: offset + 1, to: Math.min(total, offset + BALLOT_PAGE), total })),
        h("button", { type: "button", class: "secondary", disabled: offset + BALLOT_PAGE >= total, onclick: () => { ballotOffset = offset + BALLOT_PAGE >= total - BALLOT_PAGE ? null : offset + BALLOT_PAGE; loadBallots(); } }, t("common.newer"))) : null);
  }

  // Turnout hints carry the counts as their cast saw them: show a hint at once when it is ahead of the
  // line (hints of concurrent casts may arrive out of order), and re-fetch the exact figure at most once
  // a second, so a burst of 3,000 votes costs the chair's page a request a second, not 3,000.
  const exactTurnout = new Map();
  const shownTurnout = new Map();  // ballot id -> the turnout its line shows (votes only ever go up while open)
  function showTurnout(ballotId, turnout) {
    const line = ballotsBox.querySelector(`[data-ballot="${ballotId}"] .turnout`);
    if (!line || !turnout) return;
    shownTurnout.set(ballotId, turnout);
    line.textContent = turnoutText(turnout);
  }
  function onTurnout(event) {
    const ballotId = event.subject_id;
    const shown = shownTurnout.get(ballotId);
    const hint = event.data || {};
    if (shown && Number.isInteger(hint.voted) && hint.voted > shown.voted) {
      showTurnout(ballotId, { ...shown, voted: hint.voted, voted_weight: hint.weight ?? shown.voted_weight });
    }
    if (!exactTurnout.has(ballotId)) {
      exactTurnout.set(ballotId, setTimeout(async () => {
        exactTurnout.delete(ballotId);
        try {
          const exact = await api(`/api/ballots/${ballotId}/turnout`);
          if (exact.voted >= (shownTurnout.get(ballotId)?.voted ?? 0)) showTurnout(ballotId, exact);
        } catch { /* next hint retries */ }
      }, 1000));
    }
  }

  // -- motions, amendments in voting order, consensus ---------------------------------------------
  // Only the newest load renders: a load begun before a ruling must not paint the order it replaced.
  const startMotionsLoad = newestLoads();
  async function loadMotions() {
    const isNewest = startMotionsLoad();
    const page = await api(`/api/assemblies/${assemblyId}/motions?limit=20`);
    const active = page.items.filter((m) => ["submitted", "admitted", "under_debate", "consensus_call", "voting"].includes(m.status));
    const parts = [h("h2", { id: "cmotions-h" }, t("motion.title"))];
    if (!active.length) parts.push(h("p", { class: "muted" }, t("motion.none")));
    for (const summary of active.slice(0, 5)) parts.push(await motionPanel(await api(`/api/motions/${summary.id}`)));
    if (!isNewest()) return;
    replace(motionsBox, parts);
  }

  // The chair's rearranged voting order, not yet ruled on, per motion: it survives a live refresh of
  // the panel (an event from a delegate must not undo the chair's moves) until it is saved.
  const pendingOrders = new Map();

  async function motionPanel(motion) {
    const byId = new Map(motion.amendments.map((a) => [a.id, a]));
    const awaiting = motion.amendments.filter((a) => a.status === "admitted");
    const stored = motion.voting_order.length ? motion.voting_order : awaiting.map((a) => a.id);
    const order = (pendingOrders.get(motion.id) || stored).filter((id) => byId.has(id));
    for (const a of awaiting) if (!order.includes(a.id)) order.push(a.id);
    const list = h("ol", { class: "order" });
    const move = (from, to) => { order.splice(to, 0, order.splice(from, 1)[0]); pendingOrders.set(motion.id, order.slice()); draw(); };
    const draw = () => replace(list, order.map((id, index) => {
      const a = byId.get(id);
      return h("li", { "data-amendment": id }, h("strong", {}, a.label), " ", h("span", { class: "muted" }, `${t(`amendment.status.${a.status}`)} · ${a.sponsor_name}`), " ",
        index > 0 ? h("button", { type: "button", class: "secondary", "aria-label": t("chair.move_up", { label: a.label }), onclick: () => move(index, index - 1) }, "↑") : null,
        index < order.length - 1 ? h("button", { type: "button", class: "secondary", "aria-label": t("chair.move_down", { label: a.label }), onclick: () => move(index, index + 1) }, "↓") : null, " ",
        a.status === "admitted" ? h("button", { type: "button", onclick: () => createBallot({ subject_kind: "amendment", subject_id: a.id, question: `${a.label}: ${motion.title}`.slice(0, 2000), secret: false, weighted: false }) }, t("chair.ballot_on_amendment")) : null);
    }));
    draw();
    return h("article", { "data-motion": motion.id },
      h("h3", {}, motion.title, " ", h("span", { class: "muted" }, t(`motion.status.${motion.status}`))),
      order.length ? [h("h4", {}, t("chair.voting_order")), h("p", { class: "muted" }, t("chair.voting_order_hint")), list,
        h("button", { type: "button", class: "secondary", onclick: () => act(async () => { await api(`/api/motions/${motion.id}/voting-order`, { method: "POST", body: { amendment_ids: order.slice() } }); pendingOrders.delete(motion.id); }, loadMotions) }, t("chair.save_order"))] : null,
      h("div", { class: "row" },
        h("button", { type: "button", onclick: () => createBallot({ subject_kind: "motion", subject_id: motion.id, question: motion.title.slice(0, 2000), secret: false, weighted: false }) }, t("chair.ballot_on_motion")),
        h("button", { type: "button", class: "secondary", onclick: () => act(() => api(`/api/motions/${motion.id}/call-consensus`, { method: "POST" }), loadMotions) }, t("chair.call_consensus")),
        h("button", { type: "button", class: "secondary", onclick: () => act(() => api(`/api/motions/${motion.id}/adopt-by-consensus`, { method: "POST" }), loadMotions) }, t("chair.adopt_consensus"))));
  }

  async function sync() { await loadAgenda(); await loadSpeakers(); }
  const refreshBallots = coalesce(() => loadBallots().catch(() => {}));
  const refreshAgenda = coalesce(() => sync().catch(() => {}));
  const refreshMotions = coalesce(() => loadMotions().catch(() => {}), 500);
  const live = new LiveStream(assemblyId, {
    onState: setLiveState,
    onSync: () => { refreshBallots(); refreshAgenda(); refreshMotions(); },
    onEvent: (type, data) => {
      if (type === "ballot.turnout") onTurnout(data);
      else if (type.startsWith("ballot.")) refreshBallots();
      else if (type.startsWith("agenda.") || type === "speakers.changed" || type === "quorum.called") refreshAgenda();
      else if (type.startsWith("motion") || type.startsWith("amendment")) refreshMotions();
    },
  });
  await Promise.all([loadBallots(), sync(), loadMotions()]);
  live.start();
  window.assemblyLive = live;
  return { unmount: () => { live.stop(); clearInterval(timer); } };
}
