// "/": the organizer's pages (groups, members, meetings), a member's meetings, or sign-in.
import { html, render } from "./html.js";
import { useEffect, useState } from "preact/hooks";
import { get, post } from "./api.js";
import { preferLang, t, useLang } from "./i18n.js";
import { LangSwitch } from "./views/common.js";
import { ErrorLine } from "./views/forms.js";
import { MemberHome, OrganizerHome } from "./views/organizer.js";
import { SetupNeeded, SignIn } from "./views/signin.js";

function Home() {
  useLang();
  const [me, setMe] = useState(undefined); // undefined: loading, null: signed out
  const [needsSetup, setNeedsSetup] = useState(false);
  const [error, setError] = useState(null);
  const load = async () => {
    try {
      const found = await get("/me");
      preferLang(found.member?.language);
      setMe(found);
    } catch (err) {
      if (err.status !== 401 && err.status !== 403) setError(err);
      setMe(null);
      try {
        setNeedsSetup((await get("/setup")).needs_setup);
      } catch {
        setNeedsSetup(false);
      }
    }
  };
  useEffect(() => {
    load();
  }, []);
  const signOut = async () => {
    try {
      await post("/auth/logout");
    } finally {
      location.assign("/");
    }
  };
  let page;
  if (me === undefined) page = html`<main id="main" class="narrow"><p>${t("common.loading")}</p></main>`;
  else if (me === null) page = needsSetup ? html`<${SetupNeeded} />` : html`<${SignIn} onSignedIn=${load} />`;
  else if (me.organizer) page = html`<${OrganizerHome} me=${me} />`;
  else page = html`<${MemberHome} me=${me} />`;
  const who = me?.organizer?.name ?? me?.member?.name;
  return html`<div class="app">
    <a class="skip-link" href="#main">${t("common.skip")}</a>
    <header class="topbar">
      <div class="topbar-title"><a class="brand" href="/">Codev</a></div>
      <div class="topbar-tools">
        ${who && html`<span class="you" data-testid="you">${who}</span>`}
        ${me && html`<button type="button" class="ghost small" onClick=${signOut}>${t("signin.out")}</button>`}
        <${LangSwitch} />
      </div>
    </header>
    ${error && html`<div class="narrow"><${ErrorLine} error=${error} /></div>`}
    ${page}
  </div>`;
}

render(html`<${Home} />`, document.getElementById("app"));
