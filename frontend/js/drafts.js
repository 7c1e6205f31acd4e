// Drafts: what someone is typing, kept in localStorage per meeting and field until it is sent,
// so that neither a stage change nor a reload nor a lost connection loses a word.
import { useEffect, useState } from "preact/hooks";

const PREFIX = "codev:draft:";
const listeners = new Map(); // storage key -> set of callbacks
const anyListeners = new Set(); // called on every change
const shown = new Map(); // storage key -> how many fields on screen edit it

function notifyAll() {
  for (const listener of anyListeners) listener();
}

function storageKey(scope, field) {
  return `${PREFIX}${scope}:${field}`;
}

export function readDraft(scope, field) {
  try {
    return localStorage.getItem(storageKey(scope, field));
  } catch {
    return null;
  }
}

export function writeDraft(scope, field, value) {
  const key = storageKey(scope, field);
  try {
    if (value === null || value === "") localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // storage full or disabled: the draft lives in the page only
  }
  for (const listener of listeners.get(key) ?? []) listener(value === "" ? null : value);
  notifyAll();
}

export function clearDraft(scope, field) {
  writeDraft(scope, field, null);
}

/** Every non-empty draft of this scope: [{field, value}]. */
export function listDrafts(scope) {
  const prefix = `${PREFIX}${scope}:`;
  const found = [];
  try {
    for (let i = 0; i < localStorage.length; i += 1) {
      const key = localStorage.key(i);
      if (key?.startsWith(prefix)) found.push({ field: key.slice(prefix.length), value: localStorage.getItem(key) });
    }
  } catch {
    // nothing to list
  }
  return found.sort((a, b) => a.field.localeCompare(b.field));
}

export function clearDrafts(scope) {
  for (const { field } of listDrafts(scope)) clearDraft(scope, field);
}

/** [draft or null, setDraft]: a field's draft, shared by every component showing that field. */
export function useDraft(scope, field) {
  const key = storageKey(scope, field);
  const [value, setValue] = useState(() => readDraft(scope, field));
  useEffect(() => {
    setValue(readDraft(scope, field));
    const set = listeners.get(key) ?? new Set();
    set.add(setValue);
    listeners.set(key, set);
    shown.set(key, (shown.get(key) ?? 0) + 1);
    queueMicrotask(notifyAll);
    return () => {
      set.delete(setValue);
      shown.set(key, (shown.get(key) ?? 1) - 1);
      queueMicrotask(notifyAll);
    };
  }, [key]);
  return [value, (next) => writeDraft(scope, field, next)];
}

/** Whether a field on screen edits this draft now (else it shows under "unsent drafts"). */
export function isShown(scope, field) {
  return (shown.get(storageKey(scope, field)) ?? 0) > 0;
}

/** Choices (a kind, a type, a rating) are drafts too, but not text worth showing on their own. */
function isText(field) {
  return !/(\.kind|\.type|\.help|^evaluation\.rating\.)/.test(field) && !/\.(due|follow_up)$/.test(field);
}

/** Drafts of ``scope`` that no field on screen shows (e.g. typed in a stage that is over). */
export function useHiddenDrafts(scope) {
  const hidden = () =>
    listDrafts(scope).filter(({ field }) => isText(field) && !(shown.get(storageKey(scope, field)) > 0));
  const [drafts, setDrafts] = useState(hidden);
  useEffect(() => {
    const refresh = () => setDrafts(hidden());
    refresh();
    anyListeners.add(refresh);
    return () => anyListeners.delete(refresh);
  }, [scope]);
  return drafts;
}
