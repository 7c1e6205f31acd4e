// The organizer's pages: groups, members and their invite links, meetings and their planning.
import { html } from "../html.js";
import { useEffect, useState } from "preact/hooks";
import { absolute, del, get, patch, post } from "../api.js";
import { formatDateTime, getLang, t } from "../i18n.js";
import { Confirm, Empty } from "./common.js";
import { CopyLink, ErrorLine, Field, useAction } from "./forms.js";
import { ScheduleForm } from "./schedule.js";
import { CalendarFeed, CalendarLink, MailPanel, Refused, SendInvite, useMail } from "./mail.js";
import { CharterPanel, CyclePanel } from "./cycle.js";

function useHashRoute() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  const match = hash.match(/^#\/groups\/([\w-]+)/);
  return match ? match[1] : null;
}

export function OrganizerHome({ me }) {
  const groupId = useHashRoute();
  const [groups, setGroups] = useState(null);
  const [error, setError] = useState(null);
  const load = () => get("/groups").then((g) => setGroups(Array.isArray(g) ? g : g.groups ?? []), setError);
  useEffect(() => {
    load();
  }, []);
  if (error) return html`<main id="main" class="wide"><${ErrorLine} error=${error} /></main>`;
  if (groups === null) return html`<main id="main" class="wide"><p>${t("common.loading")}</p></main>`;
  const group = groups.find((g) => g.id === groupId);
  return html`<main id="main" class="wide organizer">
    ${group
      ? html`<${GroupPage} group=${group} onChanged=${load} />`
      : html`<${GroupsPage} me=${me} groups=${groups} onCreated=${(g) => { load(); location.hash = `#/groups/${g.id}`; }} />`}
  </main>`;
}

function GroupsPage({ me, groups, onCreated }) {
  const name = me.organizer?.name ?? "";
  return html`<h1>${t("groups.title")}</h1>
    ${groups.length === 0
      ? html`<section class="panel welcome" data-testid="empty-state">
          <h2>${t("welcome.title", { name })}</h2>
          <p>${t("welcome.lead")}</p>
          <ol class="steps">
            <li>${t("welcome.step_group")}</li>
            <li>${t("welcome.step_members")}</li>
            <li>${t("welcome.step_invites")}</li>
            <li>${t("welcome.step_meeting")}</li>
          </ol>
        </section>`
      : html`<ul class="cards" data-testid="groups">
          ${groups.map((g) => html`<li key=${g.id}><a class="card-link" href=${`#/groups/${g.id}`}>${g.name}</a></li>`)}
        </ul>`}
    <${CreateGroup} onCreated=${onCreated} />`;
}

function CreateGroup({ onCreated }) {
  const [name, setName] = useState("");
  const [addMe, setAddMe] = useState(true);
  const [run, busy, error] = useAction(async () => {
    const group = await post("/groups", { name: name.trim(), add_me_as_facilitator: addMe });
    setName("");
    onCreated(group);
  });
  return html`<form class="panel editor inline-form" onSubmit=${(e) => { e.preventDefault(); if (name.trim()) run(); }}>
    <h2>${t("groups.create")}</h2>
    <${Field} id="group-name" label=${t("groups.name")}>
      <input id="group-name" type="text" required maxlength="120" value=${name} onInput=${(e) => setName(e.currentTarget.value)} />
    <//>
    <label class="choice"><input type="checkbox" checked=${addMe} onChange=${(e) => setAddMe(e.currentTarget.checked)}
      aria-describedby="group-add-me-hint" data-testid="add-me" /> ${t("groups.add_me")}</label>
    <p class="hint" id="group-add-me-hint">${t("groups.add_me_hint")}</p>
    <${ErrorLine} error=${error} />
    <div class="actions"><button type="submit" class="primary" disabled=${busy || !name.trim()}>${t("groups.create_submit")}</button></div>
  </form>`;
}

function GroupPage({ group, onChanged }) {
  const [members, setMembers] = useState(null);
  const [meetings, setMeetings] = useState(null);
  const [error, setError] = useState(null);
  const [deleting, setDeleting] = useState(false);
  const [mail, loadMail] = useMail();
  const loadMembers = () => get(`/groups/${group.id}/members`).then((m) => setMembers(Array.isArray(m) ? m : m.members ?? []), setError);
  const loadMeetings = () => get(`/groups/${group.id}/meetings`).then((m) => setMeetings(Array.isArray(m) ? m : m.meetings ?? []), setError);
  useEffect(() => {
    loadMembers();
    loadMeetings();
  }, [group.id]);
  const remove = async () => {
    try {
      await del(`/groups/${group.id}`);
      location.hash = "";
      onChanged();
    } catch (err) {
      setError(err);
    }
    setDeleting(false);
  };
  return html`<p class="crumbs"><a href="#">${t("groups.title")}</a> / </p>
    <h1 data-testid="group-name">${group.name}</h1>
    <${ErrorLine} error=${error} />
    <div class="columns">
      <div>
        <${Members} group=${group} members=${members} mail=${mail} onChanged=${() => { loadMembers(); loadMail(); }} />
        <${MailPanel} mail=${mail} onReload=${() => { loadMail(); loadMembers(); }} />
        <${CharterPanel} group=${group} />
      </div>
      <div>
        ${members && members.length > 0 && html`<${CyclePanel} group=${group} members=${members} onChanged=${loadMeetings} />`}
        <${Meetings} meetings=${meetings} />
        ${members && members.length > 0 && html`<${ScheduleForm} group=${group} members=${members} onScheduled=${loadMeetings} />`}
      </div>
    </div>
    <details class="panel danger-zone">
      <summary>${t("groups.more")}</summary>
      <p class="hint">${t("groups.delete_hint")}</p>
      <button type="button" class="danger" onClick=${() => setDeleting(true)}>${t("groups.delete")}</button>
    </details>
    <${Confirm} open=${deleting} title=${t("groups.delete_confirm", { name: group.name })} body=${t("groups.delete_hint")}
      confirmLabel=${t("groups.delete")} danger=${true} onConfirm=${remove} onCancel=${() => setDeleting(false)} />`;
}

function Members({ group, members, mail, onChanged }) {
  const [links, setLinks] = useState({}); // member id -> invite url
  const [error, setError] = useState(null);
  const [removing, setRemoving] = useState(null);
  const invite = async (m) => {
    try {
      const result = await post(`/members/${m.id}/invite`);
      setLinks({ ...links, [m.id]: absolute(result.url) });
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (m) => {
    try {
      await del(`/members/${m.id}/invite`);
      const { [m.id]: _, ...rest } = links;
      setLinks(rest);
    } catch (err) {
      setError(err);
    }
  };
  const toggleFacilitator = async (m) => {
    try {
      await patch(`/members/${m.id}`, { is_facilitator: !m.is_facilitator });
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async () => {
    try {
      await del(`/members/${removing.id}`);
      onChanged();
    } catch (err) {
      setError(err);
    }
    setRemoving(null);
  };
  return html`<section class="panel" aria-labelledby="members-title">
    <h2 id="members-title">${t("members.title")}</h2>
    <${ErrorLine} error=${error} />
    ${members === null
      ? html`<p>${t("common.loading")}</p>`
      : members.length === 0
        ? html`<${Empty}>${t("members.none")}<//>`
        : html`<ul class="items members" data-testid="members">
            ${members.map(
              (m) => html`<li class="item member" key=${m.id} data-member=${m.name}>
                <div class="row">
                  <strong class="person-name">${m.name}</strong>
                  ${m.is_facilitator && html`<span class="chip">${t("role.facilitator")}</span>`}
                  <span class="chip">${(m.language ?? "en").toUpperCase()}</span>
                  ${m.email && html`<span class="meta">${m.email}</span>`}
                </div>
                ${m.is_organizer
                  ? html`<p class="meta">${t("members.you_organizer")}</p>`
                  : html`<div class="actions item-actions">
                  <button type="button" class="secondary small" onClick=${() => invite(m)} data-testid="invite">
                    ${links[m.id] ? t("members.new_invite") : t("members.invite")}<span class="visually-hidden"> ${m.name}</span></button>
                  <${SendInvite} member=${m} mail=${mail} onSent=${(r) => { setLinks({ ...links, [m.id]: absolute(r.url) }); onChanged(); }} />
                  ${links[m.id] && html`<button type="button" class="ghost small" onClick=${() => revoke(m)}>${t("members.revoke")}</button>`}
                  <button type="button" class="ghost small" onClick=${() => toggleFacilitator(m)}>
                    ${m.is_facilitator ? t("members.unset_facilitator") : t("members.set_facilitator")}</button>
                  <button type="button" class="ghost small danger-text" onClick=${() => setRemoving(m)}>${t("common.remove")}</button>
                </div>`}
                <${Refused} member=${m} />
                ${links[m.id] &&
                html`<div><p class="hint">${t("members.invite_hint", { name: m.name })}</p>
                  <${CopyLink} url=${links[m.id]} label=${t("members.invite_link", { name: m.name })} testid=${`invite-${m.id}`} /></div>`}
              </li>`,
            )}
          </ul>`}
    <${AddMember} group=${group} onAdded=${onChanged} />
    <${Confirm} open=${Boolean(removing)} title=${t("members.remove_confirm", { name: removing?.name ?? "" })} body=${t("members.remove_hint")}
      confirmLabel=${t("common.remove")} danger=${true} onConfirm=${remove} onCancel=${() => setRemoving(null)} />
  </section>`;
}

function AddMember({ group, onAdded }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [language, setLanguage] = useState(getLang());
  const [facilitator, setFacilitator] = useState(false);
  const [run, busy, error] = useAction(async () => {
    await post(`/groups/${group.id}/members`, { name: name.trim(), email: email.trim() || null, language, is_facilitator: facilitator });
    setName("");
    setEmail("");
    setFacilitator(false);
    setLanguage(getLang()); // each new member starts from the page's language, not the last one's
    onAdded();
  });
  return html`<form class="editor add-member" onSubmit=${(e) => { e.preventDefault(); if (name.trim()) run(); }} data-testid="add-member">
    <h3>${t("members.add")}</h3>
    <div class="field-row">
      <${Field} id="member-name" label=${t("account.name")}>
        <input id="member-name" type="text" required maxlength="80" value=${name} onInput=${(e) => setName(e.currentTarget.value)} />
      <//>
      <${Field} id="member-email" label=${`${t("account.email")} (${t("common.optional")})`}>
        <input id="member-email" type="email" value=${email} onInput=${(e) => setEmail(e.currentTarget.value)} />
      <//>
    </div>
    <div class="field-row">
      <${Field} id="member-language" label=${t("members.language")}>
        <select id="member-language" value=${language} onChange=${(e) => setLanguage(e.currentTarget.value)}>
          <option value="fr">${t("lang.fr")}</option><option value="en">${t("lang.en")}</option>
        </select>
      <//>
      <label class="choice"><input type="checkbox" checked=${facilitator} onChange=${(e) => setFacilitator(e.currentTarget.checked)} /> ${t("members.is_facilitator")}</label>
    </div>
    <${ErrorLine} error=${error} />
    <div class="actions"><button type="submit" class="primary" disabled=${busy || !name.trim()}>${t("members.add_submit")}</button></div>
  </form>`;
}

function Meetings({ meetings }) {
  const [links, setLinks] = useState({});
  const [error, setError] = useState(null);
  const displayLink = async (m) => {
    try {
      const result = await post(`/meetings/${m.id}/display-link`);
      setLinks({ ...links, [m.id]: absolute(result.url) });
    } catch (err) {
      setError(err);
    }
  };
  return html`<section class="panel" aria-labelledby="meetings-title">
    <h2 id="meetings-title">${t("meetings.title")}</h2>
    <${ErrorLine} error=${error} />
    ${meetings === null
      ? html`<p>${t("common.loading")}</p>`
      : meetings.length === 0
        ? html`<${Empty}>${t("meetings.none")}<//>`
        : html`<ul class="items" data-testid="meetings">
            ${meetings.map(
              (m) => html`<li class="item" key=${m.id}>
                <div class="row">
                  <strong>${m.title}</strong>
                  ${m.stage && html`<span class="chip">${t(`stage.${m.stage}`)}</span>`}
                </div>
                ${m.scheduled_for && html`<p class="meta">${formatDateTime(m.scheduled_for)}</p>`}
                <div class="actions item-actions">
                  <a class="button primary small" href=${m.room_url ?? `/meeting.html?id=${m.id}`} data-testid="open-room">${t("meetings.open")}</a>
                  <button type="button" class="secondary small" onClick=${() => displayLink(m)}>${t("meetings.display_link")}</button>
                  <${CalendarLink} meeting=${m} />
                </div>
                ${links[m.id] && html`<p class="hint">${t("meetings.display_hint")}</p><${CopyLink} url=${links[m.id]} label=${t("meetings.display_link")} testid=${`display-${m.id}`} />`}
              </li>`,
            )}
          </ul>`}
  </section>`;
}

/** A member signed in by their invite link: their group's meetings (a facilitator also schedules). */
export function MemberHome({ me }) {
  const member = me.member;
  const [meetings, setMeetings] = useState(null);
  const [members, setMembers] = useState(null);
  const [error, setError] = useState(null);
  const load = () =>
    get(`/groups/${member.group_id}/meetings`).then((m) => setMeetings(Array.isArray(m) ? m : m.meetings ?? []), setError);
  useEffect(() => {
    if (!member?.group_id) return;
    load();
    if (member.is_facilitator) get(`/groups/${member.group_id}/members`).then(setMembers, setError);
  }, [member?.group_id]);
  const list =
    meetings === null
      ? !error && html`<p>${t("common.loading")}</p>`
      : meetings.length === 0
        ? html`<${Empty}>${t("member.none")}<//>`
        : html`<ul class="items" data-testid="my-meetings">
            ${meetings.map(
              (m) => html`<li class="item row" key=${m.id}>
                <span><strong dir="auto">${m.title}</strong>${m.scheduled_for && html` <span class="meta">${formatDateTime(m.scheduled_for)}</span>`}
                  ${m.stage === "ended" && html` <span class="chip" data-testid="meeting-ended">${t("meetings.ended")}</span>`}</span>
                <span class="actions"><${CalendarLink} meeting=${m} />
                <a class="button primary small" href=${m.room_url ?? `/meeting.html?id=${m.id}`}>${t("meetings.open")}</a></span>
              </li>`,
            )}
          </ul>`;
  return html`<main id="main" class=${member?.is_facilitator ? "wide" : "narrow"}>
    <h1>${t("member.title", { name: member?.name ?? "" })}</h1>
    <p class="lead">${member?.group_name ? `${member.group_name} · ` : ""}${t("member.lead")}</p>
    ${error && html`<p class="hint">${t("member.no_list")}</p>`}
    ${member?.is_facilitator
      ? html`<div class="columns">
          <div>${list}<${CalendarFeed} memberId=${member.id} /></div>
          <div>${members && members.length > 0 && html`<${ScheduleForm} group=${{ id: member.group_id }} members=${members} onScheduled=${load} />`}</div>
        </div>`
      : html`${list}<${CalendarFeed} memberId=${member.id} />`}
  </main>`;
}
