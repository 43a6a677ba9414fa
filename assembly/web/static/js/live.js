// The assembly's event stream, read with fetch (EventSource cannot send the bearer token).
// On a dropped connection it reconnects with Last-Event-ID: the server replays what was missed.

import { refresh, token } from "./api.js";

export class LiveStream {
  /**
   * @param {string} assemblyId
   * @param {{onEvent: (type: string, data: object) => void, onSync: () => void, onState: (s: string) => void}} handlers
   *   onSync runs on every (re)connection and on `resync`: the page re-fetches what it shows.
   */
  constructor(assemblyId, handlers) {
    this.assemblyId = assemblyId;
    this.handlers = handlers;
    this.lastId = null;
    this.stopped = false;
    this.controller = null;
    this.attempt = 0;
    this.reconnects = 0;
  }

  start(position) {
    if (position !== undefined && position !== null) this.lastId = position;
    this.stopped = false;
    this.loop();
  }

  stop() {
    this.stopped = true;
    this.controller?.abort();
  }

  async loop() {
    while (!this.stopped) {
      try {
        await this.connect();
      } catch (error) {
        if (this.stopped) return;
      }
      if (this.stopped) return;
      this.handlers.onState("reconnecting");
      this.attempt += 1;
      this.reconnects += 1;
      // Back off a little, to at most 5 s, so thousands of clients do not reconnect in one burst.
      const delay = Math.min(5000, 500 * 2 ** Math.min(this.attempt, 4)) * (0.75 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async connect() {
    this.controller = new AbortController();
    const headers = { Accept: "text/event-stream", Authorization: `Bearer ${token()}` };
    if (this.lastId !== null) headers["Last-Event-ID"] = String(this.lastId);
    const response = await fetch(`/api/assemblies/${this.assemblyId}/events`, {
      headers, signal: this.controller.signal, cache: "no-store",
    });
    // Access tokens are short-lived: a stream that outlives one reconnects with a refreshed token.
    if (response.status === 401 && await refresh()) return;
    if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        this.dispatch(block);
      }
    }
  }

  dispatch(block) {
    let type = "message", data = "", id = null;
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") type = value;
      else if (field === "data") data += (data ? "\n" : "") + value;
      else if (field === "id") id = value;
    }
    let payload = {};
    try { payload = data ? JSON.parse(data) : {}; } catch { payload = {}; }
    if (id !== null && /^\d+$/.test(id)) this.lastId = Number(id);
    if (type === "ready" || type === "resync") {
      if (typeof payload.position === "number") this.lastId = payload.position;
      this.attempt = 0;
      this.handlers.onState("live");
      this.handlers.onSync();
      return;
    }
    this.handlers.onEvent(type, payload);
  }
}
