// Mail and calendars in the organizer's and members' pages: the outbox panel, "send the invite
// by email", "add to calendar" and a member's private calendar feed.
import { html } from "../html.js";
import { useEffect, useState } from "preact/hooks";
import { get, post } from "../api.js";
import { formatDateTime, t } from "../i18n.js";
import { CopyLink, ErrorLine, useAction } from "./forms.js";

/** The outbox report (GET /api/mail) and a way to load it again; null while loading. */
export function useMail() {
  const [report, setReport] = useState(null);
  const load = () => get("/mail").then(setReport, () => setReport({ enabled: false, error: null, mails: [] }));
  useEffect(() => {
    load();
  }, []);
  return [report, load];
}

/** "Send by email": queues the invite mail; the link is shown to copy too. */
export function SendInvite({ member, mail, onSent }) {
  const [sent, setSent] = useState(false);
  const [run, busy, error] = useAction(async () => {
    const result = await post(`/members/${member.id}/invite`, { send: true });
    setSent(true);
    onSent(result);
  });
  if (!mail?.enabled || !member.email) return null;
  return html`<button type="button" class="secondary small" disabled=${busy} onClick=${() => run()} data-testid="send-invite">
      ${t("mail.send_invite")}<span class="visually-hidden"> ${member.name}</span></button>
    ${sent && html`<span class="hint" role="status">${t("mail.invite_queued", { email: member.email })}</span>`}
    <${ErrorLine} error=${error} />`;
}

/** A refused address, shown on the member. */
export function Refused({ member }) {
  if (!member.mail_refused) return null;
  return html`<p class="form-error" data-testid="mail-refused">${t("mail.refused", { error: member.mail_refused })}</p>`;
}

/** What was sent and what failed, with the server's words. */
export function MailPanel({ mail, onReload }) {
  if (mail === null) return null;
  const mails = mail.mails ?? [];
  return html`<section class="panel" aria-labelledby="mail-title" data-testid="mail-panel">
    <h2 id="mail-title">${t("mail.title")}</h2>
    ${!mail.enabled
      ? html`<p class="hint">${mail.error ? t("mail.misconfigured", { error: mail.error }) : t("mail.off")}</p>`
      : mail.error && html`<p class="form-error" role="alert">${t("mail.server_error", { error: mail.error })}</p>`}
    ${mail.enabled && mails.length === 0 && html`<p class="hint">${t("mail.none")}</p>`}
    ${mails.length > 0 &&
    html`<ul class="items" data-testid="mails">
      ${mails.map(
        (m) => html`<li class="item" key=${m.id} data-status=${m.status}>
          <div class="row">
            <span class=${`chip ${m.status === "sent" ? "ok" : m.status === "failed" ? "hand" : ""}`}>${t(`mail.status.${m.status}`)}</span>
            <strong>${m.subject}</strong>
          </div>
          <p class="meta">${m.to} · ${formatDateTime(m.sent_at ?? m.created_at)}${m.attempts > 1 ? ` · ${t("mail.attempts", { n: m.attempts })}` : ""}</p>
          ${m.error && html`<p class="hint">${m.error}</p>`}
        </li>`,
      )}
    </ul>`}
    <div class="actions"><button type="button" class="ghost small" onClick=${onReload}>${t("mail.reload")}</button></div>
  </section>`;
}

/** "Add to calendar" for a dated meeting. */
export function CalendarLink({ meeting }) {
  if (!meeting.scheduled_for) return null;
  return html`<a class="button ghost small" href=${`/api/meetings/${meeting.id}/calendar.ics`} download data-testid="add-to-calendar">${t("calendar.add")}</a>`;
}

/** A member's private feed of their group's meetings (a new link revokes the previous one). */
export function CalendarFeed({ memberId }) {
  const [link, setLink] = useState(null);
  const [run, busy, error] = useAction(async () => setLink(await post(`/members/${memberId}/calendar-feed`)));
  return html`<section class="panel" aria-labelledby="feed-title">
    <h2 id="feed-title">${t("calendar.feed_title")}</h2>
    <p class="hint">${t("calendar.feed_hint")}</p>
    ${link
      ? html`<p><a class="button secondary small" href=${link.webcal_url}>${t("calendar.subscribe")}</a></p>
          <${CopyLink} url=${link.url} label=${t("calendar.feed_title")} testid="calendar-feed" />`
      : html`<button type="button" class="secondary small" disabled=${busy} onClick=${() => run()} data-testid="make-feed">${t("calendar.make_feed")}</button>`}
    <${ErrorLine} error=${error} />
  </section>`;
}
