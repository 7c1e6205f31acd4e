// Small form helpers for the organizer pages.
import { html } from "../html.js";
import { useState } from "preact/hooks";
import { copyText } from "../api.js";
import { errorText, t } from "../i18n.js";

export function Field({ id, label, hint = null, children }) {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${children}
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
  </div>`;
}

export function ErrorLine({ error }) {
  if (!error) return null;
  return html`<p class="form-error" role="alert" data-testid="form-error">${errorText(error.code, error.message)}</p>`;
}

/** Run an async action with a busy flag and an error; returns [run, busy, error, setError]. */
export function useAction(action) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (...args) => {
    setBusy(true);
    setError(null);
    try {
      return await action(...args);
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return [run, busy, error, setError];
}

/** A read-only link with a one-click Copy button. */
export function CopyLink({ url, label, testid = "copy-link" }) {
  const [copied, setCopied] = useState(false);
  const copy = async (event) => {
    const ok = await copyText(url);
    if (!ok) event.currentTarget.previousElementSibling?.select();
    setCopied(ok);
    if (ok) setTimeout(() => setCopied(false), 2500);
  };
  return html`<div class="copy-link" data-testid=${testid}>
    <label class="visually-hidden" for=${`${testid}-input`}>${label}</label>
    <input id=${`${testid}-input`} type="text" readonly value=${url} onFocus=${(e) => e.currentTarget.select()} />
    <button type="button" class="secondary" onClick=${copy}>${copied ? t("common.copied") : t("common.copy")}</button>
    <span class="visually-hidden" aria-live="polite">${copied ? t("common.copied") : ""}</span>
  </div>`;
}
