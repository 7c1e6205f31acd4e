// The server's clock as seen from here: offset measured with ping/pong, corrected for the
// round trip (NTP-style), keeping the sample with the smallest round trip.
let offset = 0; // server time minus local time, in ms
let samples = [];

/** Milliseconds since the epoch for a server timestamp (any number of fractional digits). */
export function parseTime(iso) {
  if (!iso) return NaN;
  const trimmed = String(iso).replace(/(\.\d{3})\d+/, "$1").replace(/\+00:00$/, "Z");
  return Date.parse(trimmed);
}

export function serverNow() {
  return Date.now() + offset;
}

export function clockOffset() {
  return offset;
}

/** A rough first estimate from hello, until a ping has measured the round trip. */
export function noteHello(serverTime, receivedAt = Date.now()) {
  if (samples.length === 0) {
    const server = parseTime(serverTime);
    if (!Number.isNaN(server)) offset = server - receivedAt;
  }
}

export function notePong(pong, receivedAt = Date.now()) {
  const sent = pong.client_time;
  const server = parseTime(pong.server_time);
  if (typeof sent !== "number" || Number.isNaN(server)) return;
  const rtt = receivedAt - sent;
  if (rtt < 0) return;
  samples = [...samples.slice(-7), { rtt, offset: server - (sent + rtt / 2) }];
  offset = samples.reduce((best, s) => (s.rtt < best.rtt ? s : best)).offset;
}

/** Seconds left on a stage timer (negative in overtime); null without a timer. */
export function remainingSeconds(timer, now = serverNow()) {
  if (!timer) return null;
  if (timer.deadline) return (parseTime(timer.deadline) - now) / 1000;
  return timer.paused_remaining ?? 0;
}

/** "12:05", or "1:02:05" past an hour; the sign is shown by the caller. */
export function formatDuration(seconds) {
  const total = Math.max(0, Math.round(Math.abs(seconds)));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** When the soft warning starts: the last tenth of the stage, between 30 s and 2 min. */
export function warningThreshold(timer) {
  return Math.min(120, Math.max(30, (timer?.planned_seconds ?? 600) / 10));
}
