// meeting.html?id=ID (a participant, by session cookie) and display.html?meeting=ID&key=KEY
// (a room display): one socket, one store; the view follows the role the server gives us.
import { html, render } from "./html.js";
import { Room, useRoom } from "./store.js";
import { t, useLang } from "./i18n.js";
import { can as allowed } from "./permissions.js";
import { currentConsultationPlan, roleOf } from "./plan.js";
import { LiveRegion, Notices, StageBanner, StageRail, TopBar } from "./views/common.js";
import { FacilitatorView } from "./views/facilitator.js";
import { ClientView } from "./views/client.js";
import { ConsultantView } from "./views/consultant.js";
import { ObserverView } from "./views/observer.js";
import { DisplayView } from "./views/display.js";
import { CharterGate, ShownCharter } from "./views/cycle.js";
import { get, post } from "./api.js";
import { useState } from "preact/hooks";

const VIEWS = {
  facilitator: FacilitatorView,
  client: ClientView,
  consultant: ConsultantView,
  scribe: ConsultantView,
  timekeeper: ConsultantView,
  observer: ObserverView,
  display: DisplayView,
};

function Shell({ room }) {
  useLang();
  const snap = useRoom(room);
  const { state, you } = snap;
  if (snap.status === "fatal") return html`<${Fatal} reason=${snap.fatal} display=${Boolean(room.displayKey)} />`;
  if (!state) {
    return html`<div class="app"><${TopBar} snap=${snap} role=${null} />
      <main id="main" class="loading"><p>${t("room.loading")}</p></main></div>`;
  }
  const role = snap.helloRole === "display" ? "display" : roleOf(state, you.member_id);
  const strict = currentConsultationPlan(state).strict_silent_client;
  const can = (command) => allowed(command, state.stage, role, { strict });
  const View = VIEWS[role];
  const isDisplay = role === "display";
  return html`<div class=${`app role-${role} stage-${state.stage}`} data-role=${role} data-stage=${state.stage}>
    <a class="skip-link" href="#main">${t("common.skip")}</a>
    <${TopBar} snap=${snap} role=${role} />
    <${StageBanner} state=${state} role=${role} me=${you?.member_id} big=${isDisplay} />
    ${role !== "facilitator" && !isDisplay && html`<div class="rail-strip"><${StageRail} state=${state} /></div>`}
    <${ShownCharter} room=${room} state=${state} can=${can} big=${isDisplay} />
    ${View
      ? html`<${View} room=${room} snap=${snap} state=${state} me=${you?.member_id} role=${role} can=${can} />`
      : html`<main id="main"><p>${t("room.no_role")}</p></main>`}
    <${Notices} room=${room} notices=${snap.notices} />
    <${LiveRegion} text=${snap.announcement} />
  </div>`;
}

function Fatal({ reason, display }) {
  const key = display && reason === "not_found" ? "fatal.display_link" : `fatal.${reason}`;
  return html`<div class="app"><main id="main" class="fatal">
    <h1>${t("fatal.title")}</h1>
    <p data-testid="fatal">${t(key)}</p>
    <p><a href="/">${t("fatal.home")}</a></p>
  </main></div>`;
}

const params = new URLSearchParams(location.search);
const displayKey = params.get("key");
const meetingId = params.get("id") ?? params.get("meeting");
const root = document.getElementById("app");
if (!meetingId) {
  render(html`<${Fatal} reason="no_meeting" />`, root);
} else if (displayKey) {
  enter();
} else {
  // A member agrees to the group's charter (its current version) before entering the room.
  get(`/meetings/${meetingId}/charter`).then(
    (mine) => (mine.current && !mine.accepted_at ? render(html`<${Gate} charter=${mine.current} />`, root) : enter()),
    () => enter(), // the room's own socket says what is wrong (signed out, no such meeting)
  );
}

function enter() {
  render(null, root);
  const room = new Room({ meetingId, displayKey }).start();
  window.codevRoom = room; // for debugging from the console
  render(html`<${Shell} room=${room} />`, root);
}

function Gate({ charter }) {
  useLang();
  const [error, setError] = useState(null);
  const [shown, setShown] = useState(charter);
  const agree = () =>
    post(`/meetings/${meetingId}/charter/accept`, { version: shown.version }).then(enter, async (err) => {
      setError(err);
      if (err.status === 409) setShown((await get(`/meetings/${meetingId}/charter`)).current); // changed meanwhile
    });
  return html`<${CharterGate} charter=${shown} onAgreed=${agree} error=${error} />`;
}
