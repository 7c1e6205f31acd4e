// Commands on their way to the server, persisted in localStorage with their cid, so that what is
// typed while offline (or just before a reload) is sent once, in order, when the socket is back.
// The server dedupes by cid: a command sent twice is applied once (its ack says duplicate).

export function newCid() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes); // works on plain http too, unlike crypto.randomUUID
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class Outbox {
  constructor(scope) {
    this.key = `codev:outbox:${scope}`;
    this.items = this.load();
  }

  load() {
    try {
      const items = JSON.parse(localStorage.getItem(this.key) ?? "[]");
      return Array.isArray(items) ? items : [];
    } catch {
      return [];
    }
  }

  save() {
    try {
      if (this.items.length) localStorage.setItem(this.key, JSON.stringify(this.items));
      else localStorage.removeItem(this.key);
    } catch {
      // kept in memory only
    }
  }

  /**
   * Queue a command. ``meta.restore`` = [{field, text}]: drafts that get their text back if the
   * server refuses it; ``meta.settle`` = [{field, text}]: drafts cleared once it is accepted.
   */
  add(type, fields = {}, meta = null) {
    const cid = newCid();
    const item = { cid, message: { type, cid, ...fields }, meta };
    this.items.push(item);
    this.save();
    return item;
  }

  remove(cid) {
    const item = this.items.find((i) => i.cid === cid) ?? null;
    if (item) {
      this.items = this.items.filter((i) => i.cid !== cid);
      this.save();
    }
    return item;
  }

  clear() {
    this.items = [];
    this.save();
  }

  get size() {
    return this.items.length;
  }
}
