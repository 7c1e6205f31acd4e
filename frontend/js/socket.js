// One WebSocket to /ws/meetings/{id}, reopened by itself with backoff; resumes with ?since=N.
// Knows nothing of the meeting: it hands each parsed message to ``onMessage``.

const FATAL = {
  4401: "not_authenticated",
  4403: "forbidden",
  4404: "not_found",
  4409: "charter_not_agreed", // the charter changed since this member agreed: reload to read it
};
const BACKOFF = [500, 1000, 2000, 4000, 8000, 15000];
const PING_EVERY = 20000;
const SILENCE_LIMIT = 45000; // no message at all for this long: the link is dead, reopen it

export class MeetingSocket {
  /**
   * @param {object} o
   * @param {string} o.meetingId
   * @param {string|null} o.displayKey  room-display key, or null for a participant
   * @param {() => number|null} o.since  the last seq applied locally, or null for a snapshot
   * @param {(msg: object) => void} o.onMessage
   * @param {(status: string, detail?: string) => void} o.onStatus  connecting | open | offline | fatal
   * @param {() => void} o.onOpen  called once a socket is open (before hello)
   */
  constructor({ meetingId, displayKey = null, since, onMessage, onStatus, onOpen = () => {} }) {
    Object.assign(this, { meetingId, displayKey, since, onMessage, onStatus, onOpen });
    this.ws = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastHeard = 0;
    this.stopped = false;
    this.fatal = false;
    // The browser knows before the socket does: drop a link that cannot work, retry when back.
    this.online = () => this.reconnectNow();
    this.offline = () => this.ws && this.restart();
    window.addEventListener("online", this.online);
    window.addEventListener("offline", this.offline);
  }

  url() {
    const params = new URLSearchParams();
    const since = this.since();
    if (since !== null && since !== undefined) params.set("since", String(since));
    if (this.displayKey) params.set("display", this.displayKey);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const query = params.toString();
    return `${scheme}//${location.host}/ws/meetings/${encodeURIComponent(this.meetingId)}${query ? `?${query}` : ""}`;
  }

  start() {
    if (this.stopped || this.fatal) return;
    clearTimeout(this.retryTimer);
    this.onStatus(this.attempt === 0 ? "connecting" : "offline");
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      this.lastHeard = Date.now();
      this.startPinging();
      this.onOpen();
    });
    ws.addEventListener("message", (event) => {
      if (this.ws !== ws) return;
      this.lastHeard = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "hello") {
        this.attempt = 0;
        this.onStatus("open");
      }
      this.onMessage(message);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPinging();
      if (this.stopped) return;
      const fatal = FATAL[event.code];
      if (fatal) {
        this.fatal = true;
        this.onStatus("fatal", fatal);
        return;
      }
      // 1013 (too far behind) and everything else: reopen and resume with since.
      this.scheduleRetry(event.code === 1013 ? 0 : undefined);
    });
  }

  scheduleRetry(delay) {
    this.onStatus("offline");
    const base = BACKOFF[Math.min(this.attempt, BACKOFF.length - 1)];
    this.attempt += 1;
    const wait = delay ?? base * (0.8 + Math.random() * 0.4);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.start(), wait);
  }

  reconnectNow() {
    if (this.stopped || this.fatal) return;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    this.attempt = Math.min(this.attempt, 1);
    this.start();
  }

  /** Drop the current socket and open another (e.g. when it went silent). */
  restart() {
    const ws = this.ws;
    this.ws = null;
    this.stopPinging();
    if (ws) ws.close();
    this.scheduleRetry(navigator.onLine === false ? undefined : 0);
  }

  startPinging() {
    this.stopPinging();
    const ping = () => this.send({ type: "ping", client_time: Date.now() });
    ping();
    // a few quick samples for the clock offset, then a slow heartbeat
    this.quickPings = [setTimeout(ping, 400), setTimeout(ping, 1200)];
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastHeard > SILENCE_LIMIT) this.restart();
      else ping();
    }, PING_EVERY);
  }

  stopPinging() {
    clearInterval(this.pingTimer);
    for (const timer of this.quickPings ?? []) clearTimeout(timer);
    this.pingTimer = null;
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send now if the socket is open; returns whether it was sent. */
  send(message) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopPinging();
    window.removeEventListener("online", this.online);
    window.removeEventListener("offline", this.offline);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }
}
