// Message catalogues: every string shown to people comes from i18n/en.js or i18n/fr.js.
// The language is, in order: ?lang= in the address, the person's own choice (kept in localStorage),
// the language the organizer set for the member (Member.language, from /api/me or the hello),
// else the browser's.
import en from "../i18n/en.js";
import fr from "../i18n/fr.js";
import { useEffect, useState } from "preact/hooks";

export const CATALOGUES = { en, fr };
export const LANGUAGES = Object.keys(CATALOGUES);
const STORAGE_KEY = "codev:lang";
const listeners = new Set();

let chosen = false; // forced by the address or picked by the person: the member's setting waits

function initialLanguage() {
  const forced = new URLSearchParams(location.search).get("lang");
  if (forced && forced in CATALOGUES) {
    chosen = true;
    return forced;
  }
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored && stored in CATALOGUES) {
      chosen = true;
      return stored;
    }
  } catch {
    // storage may be disabled; fall back to the browser's language
  }
  for (const wanted of navigator.languages || [navigator.language || "en"]) {
    const base = String(wanted).slice(0, 2).toLowerCase();
    if (base in CATALOGUES) return base;
  }
  return "en";
}

let lang = initialLanguage();
document.documentElement.lang = lang;

export function getLang() {
  return lang;
}

function apply(next) {
  lang = next;
  document.documentElement.lang = lang;
  for (const listener of listeners) listener(lang);
}

/** The person picks a language: it wins over everything else from now on, in this browser. */
export function setLang(next) {
  if (!(next in CATALOGUES)) return;
  chosen = true;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not stored: the choice lasts for this page only
  }
  if (next !== lang) apply(next);
}

/** The language the organizer set for this member: used unless the person chose another. */
export function preferLang(next) {
  if (chosen || !(next in CATALOGUES) || next === lang) return;
  apply(next);
}

/** The message for ``key`` with ``{name}`` placeholders filled from ``params``. */
export function t(key, params = {}) {
  let text = CATALOGUES[lang][key] ?? CATALOGUES.en[key];
  if (text === undefined) {
    console.warn(`missing message ${key}`);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in params ? String(params[name]) : all));
}

export function has(key) {
  return key in CATALOGUES[lang] || key in CATALOGUES.en;
}

/** The first key that exists: lets a specific message fall back to a general one. */
export function tFirst(keys, params) {
  return t(keys.find(has) ?? keys[keys.length - 1], params);
}

/** An error as people should read it: the catalogue's words for its code, else the server's. */
export function errorText(code, message) {
  const key = `error.${code}`;
  return has(key) ? t(key) : message || t("error.unknown");
}

/** Re-render the calling component when the language changes. */
export function useLang() {
  const [current, setCurrent] = useState(lang);
  useEffect(() => {
    listeners.add(setCurrent);
    return () => listeners.delete(setCurrent);
  }, []);
  return current;
}

export function formatClock(date) {
  return new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" }).format(date);
}

export function formatDate(value) {
  if (!value) return "";
  const date = typeof value === "string" ? new Date(value.length === 10 ? `${value}T12:00:00` : value) : value;
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium" }).format(date);
}

export function formatDateTime(value) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(date);
}
