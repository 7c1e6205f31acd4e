// The room: one socket, the local meeting state (folded with reducer.js), the outbox and the
// notices. Views subscribe with useRoom() and send commands with room.send(type, fields).
import { useEffect, useState } from "preact/hooks";
import { evolve, SeqGap } from "./reducer.js";
import { MeetingSocket } from "./socket.js";
import { Outbox } from "./outbox.js";
import { clearDraft, clearDrafts, isShown, readDraft, writeDraft } from "./drafts.js";
import { noteHello, notePong } from "./clock.js";
import { errorText, preferLang, t } from "./i18n.js";

let noticeId = 0;

export class Room {
  constructor({ meetingId, displayKey = null }) {
    this.meetingId = meetingId;
    this.displayKey = displayKey;
    this.outbox = null; // made at the first hello, once we know who we are
    this.live = false; // hello received on the current socket: commands may go out
    this.sentHere = new Set(); // cids sent on the current socket
    this.resyncing = false;
    this.listeners = new Set();
    this.snapshot = {
      status: "connecting", // connecting | open | offline | fatal
      fatal: null,
      you: null,
      helloRole: null,
      meeting: null,
      state: null,
      presence: [],
      notices: [],
      pending: 0,
      announcement: "",
      stageNotice: 0, // bumps when a stage change makes an open dialog stale
    };
    this.socket = new MeetingSocket({
      meetingId,
      displayKey,
      since: () => (this.snapshot.state && !this.resyncing ? this.snapshot.state.seq : null),
      onMessage: (message) => this.receive(message),
      onStatus: (status, detail) => this.onStatus(status, detail),
      onOpen: () => {
        this.live = false;
        this.sentHere = new Set();
      },
    });
  }

  start() {
    this.socket.start();
    return this;
  }

  get scope() {
    return `${this.meetingId}:${this.snapshot.you?.member_id ?? "anonymous"}`;
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  update(change) {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of this.listeners) listener(this.snapshot);
  }

  onStatus(status, detail) {
    if (status !== "open") this.live = false;
    this.update({ status, fatal: status === "fatal" ? detail : null });
  }

  // --- commands -------------------------------------------------------------------------------

  /**
   * Queue a command and send it when the socket allows; returns its cid.
   * ``meta``: which drafts to restore if refused / clear once accepted (see outbox.js).
   */
  send(type, fields = {}, meta = null) {
    if (!this.outbox) return null;
    const item = this.outbox.add(type, fields, meta);
    this.flush();
    this.update({ pending: this.outbox.size });
    return item.cid;
  }

  flush() {
    if (!this.live || !this.outbox) return;
    for (const item of this.outbox.items) {
      if (this.sentHere.has(item.cid)) continue;
      if (!this.socket.send(item.message)) return;
      this.sentHere.add(item.cid);
    }
  }

  notify(text, kind = "info") {
    noticeId += 1;
    const notice = { id: noticeId, text, kind };
    this.update({ notices: [...this.snapshot.notices.slice(-3), notice] });
    setTimeout(() => this.dismiss(notice.id), kind === "error" ? 12000 : 6000);
  }

  dismiss(id) {
    this.update({ notices: this.snapshot.notices.filter((n) => n.id !== id) });
  }

  // --- messages from the server ---------------------------------------------------------------

  receive(message) {
    switch (message.type) {
      case "hello":
        return this.onHello(message);
      case "ack":
        return this.onAck(message);
      case "error":
        return this.onError(message);
      case "pong":
        return notePong(message);
      case "presence":
        return this.update({ presence: message.online });
      default:
        if (typeof message.seq !== "number") throw new Error(`unknown message type ${message.type}`);
        return this.onEvent(message);
    }
  }

  onHello(hello) {
    noteHello(hello.server_time);
    const before = this.snapshot.state;
    let state = before;
    if (!hello.resumed || !state) state = hello.state;
    this.resyncing = false;
    // the language the organizer set for this member, before anything is said to them
    if (hello.role !== "display") preferLang(state?.plan.participants[hello.you?.member_id]?.language);
    if (!this.outbox && hello.role !== "display") {
      this.snapshot = { ...this.snapshot, you: hello.you };
      this.outbox = new Outbox(this.scope);
    }
    this.update({
      you: hello.you,
      helloRole: hello.role,
      meeting: hello.meeting,
      presence: hello.presence,
      state,
      pending: this.outbox?.size ?? 0,
    });
    if (state && before && before.stage !== state.stage) this.announceStage(state);
    if (!before && state) this.announceStage(state, true);
    if (!state) {
      // resumed, but we hold nothing to resume from: ask for a snapshot
      this.socket.send({ type: "resync" });
      return;
    }
    this.live = true;
    this.flush();
    this.afterChange(before, state);
  }

  onEvent(event) {
    const before = this.snapshot.state;
    if (!before || this.resyncing) return; // a snapshot or replay is on its way
    if (event.seq <= before.seq) return; // already applied
    let state;
    try {
      state = evolve(before, event);
    } catch (error) {
      if (error instanceof SeqGap) {
        this.resyncing = true;
        this.socket.send({ type: "resync", since: before.seq });
        return;
      }
      throw error;
    }
    this.update({ state });
    if (event.type === "stage_changed") this.announceStage(state);
    if (event.type === "item_set_aside" && event.author === this.snapshot.you?.member_id) {
      this.notify(t("items.set_aside_notice", { text: event.text }));
    }
    this.afterChange(before, state);
  }

  afterChange(before, state) {
    if (before && before.stage !== state.stage) this.update({ stageNotice: this.snapshot.stageNotice + 1 });
    if (state.stage === "ended" && state.plan.no_trace && this.outbox) {
      // no-trace meeting: nothing typed for it stays in this browser
      clearDrafts(this.scope);
      this.outbox.clear();
      this.update({ pending: 0 });
    }
  }

  announceStage(state, first = false) {
    const name = t(`stage.${state.stage}`);
    const text = first ? t("room.announce_current", { stage: name }) : t("room.announce_change", { stage: name });
    this.update({ announcement: `${text} ${t(`purpose.${state.stage}`)}` });
  }

  onAck(ack) {
    const item = this.outbox?.remove(ack.cid); // duplicate:true is success too: applied before
    for (const { field, text } of item?.meta?.settle ?? []) {
      if (readDraft(this.scope, field) === text) clearDraft(this.scope, field);
    }
    this.update({ pending: this.outbox?.size ?? 0 });
  }

  onError(error) {
    const item = error.cid ? this.outbox?.remove(error.cid) : null;
    this.update({ pending: this.outbox?.size ?? 0 });
    const restore = item?.meta?.restore ?? [];
    for (const { field, text } of restore) {
      const current = readDraft(this.scope, field);
      if (current !== text) writeDraft(this.scope, field, current ? `${text}\n${current}` : text);
    }
    if (error.code === "stage_mismatch") {
      this.update({ stageNotice: this.snapshot.stageNotice + 1 });
      const stage = this.snapshot.state ? t(`stage.${this.snapshot.state.stage}`) : "";
      this.notify(t("error.stage_mismatch_now", { stage }), "error");
      return;
    }
    let text = errorText(error.code, error.message);
    if (restore.length) {
      // back in its box if the box is still on screen; else (the stage moved on) under unsent drafts
      const visible = restore.every(({ field }) => isShown(this.scope, field));
      text = `${text} ${t(visible ? "room.draft_restored" : "room.draft_kept")}`;
    }
    this.notify(text, "error");
  }

  stop() {
    this.socket.stop();
  }
}

/** The room's snapshot, re-rendering the caller on every change. */
export function useRoom(room) {
  const [snapshot, setSnapshot] = useState(room.snapshot);
  useEffect(() => room.subscribe(setSnapshot), [room]);
  return snapshot;
}
