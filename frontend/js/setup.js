// /setup?token=...: the link the server prints on first start creates the first organizer.
import { html, render } from "./html.js";
import { useEffect, useState } from "preact/hooks";
import { get, post } from "./api.js";
import { t, useLang } from "./i18n.js";
import { LangSwitch } from "./views/common.js";
import { ErrorLine, Field, useAction } from "./views/forms.js";

const MIN_PASSWORD = 10;

function Setup() {
  useLang();
  const token = new URLSearchParams(location.search).get("token") ?? "";
  const [needed, setNeeded] = useState(null);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [local, setLocal] = useState(null);
  useEffect(() => {
    get("/setup").then((r) => setNeeded(r.needs_setup), () => setNeeded(true));
  }, []);
  const [run, busy, error] = useAction(async () => {
    await post("/setup", { token, email, name, password });
    location.assign("/?welcome=1");
  });
  const submit = (event) => {
    event.preventDefault();
    if (password.length < MIN_PASSWORD) return setLocal({ code: "password_short" });
    if (password !== again) return setLocal({ code: "password_mismatch" });
    setLocal(null);
    run();
  };
  let body;
  if (needed === false) {
    body = html`<p class="lead">${t("setup.done")}</p><p><a class="button primary" href="/">${t("signin.title")}</a></p>`;
  } else if (!token) {
    body = html`<p class="lead">${t("setup.no_token")}</p>`;
  } else {
    body = html`<p class="lead">${t("setup.lead")}</p>
      <form class="editor card" onSubmit=${submit} data-testid="setup-form">
        <${Field} id="setup-name" label=${t("account.name")}>
          <input id="setup-name" type="text" autocomplete="name" required maxlength="80" value=${name} onInput=${(e) => setName(e.currentTarget.value)} />
        <//>
        <${Field} id="setup-email" label=${t("account.email")}>
          <input id="setup-email" type="email" autocomplete="username" required value=${email} onInput=${(e) => setEmail(e.currentTarget.value)} />
        <//>
        <${Field} id="setup-password" label=${t("account.password")} hint=${t("account.password_hint", { n: MIN_PASSWORD })}>
          <input id="setup-password" type="password" autocomplete="new-password" required value=${password}
            aria-describedby="setup-password-hint" onInput=${(e) => setPassword(e.currentTarget.value)} />
        <//>
        <${Field} id="setup-again" label=${t("account.password_again")}>
          <input id="setup-again" type="password" autocomplete="new-password" required value=${again} onInput=${(e) => setAgain(e.currentTarget.value)} />
        <//>
        <${ErrorLine} error=${local ?? error} />
        <div class="actions"><button type="submit" class="primary" disabled=${busy}>${t("setup.submit")}</button></div>
      </form>`;
  }
  return html`<div class="app">
    <header class="topbar"><div class="topbar-title"><span class="brand">Codev</span></div><div class="topbar-tools"><${LangSwitch} /></div></header>
    <main id="main" class="narrow"><h1>${t("setup.title")}</h1>${body}</main>
  </div>`;
}

render(html`<${Setup} />`, document.getElementById("app"));
