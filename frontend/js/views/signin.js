// Sign in (organizers), and what to do when the server still waits for its first organizer.
import { html } from "../html.js";
import { useState } from "preact/hooks";
import { post } from "../api.js";
import { t } from "../i18n.js";
import { ErrorLine, Field, useAction } from "./forms.js";

export function SignIn({ onSignedIn }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [run, busy, failure] = useAction(async () => {
    await post("/auth/login", { email, password });
    onSignedIn();
  });
  // on this form, "not authenticated" means the email or the password is wrong
  const error = failure?.code === "not_authenticated" ? { code: "invalid_credentials" } : failure;
  return html`<main id="main" class="narrow">
    <h1>${t("signin.title")}</h1>
    <p class="lead">${t("signin.lead")}</p>
    <form class="editor card" onSubmit=${(e) => { e.preventDefault(); run(); }}>
      <${Field} id="signin-email" label=${t("account.email")}>
        <input id="signin-email" type="email" autocomplete="username" required value=${email} onInput=${(e) => setEmail(e.currentTarget.value)} />
      <//>
      <${Field} id="signin-password" label=${t("account.password")}>
        <input id="signin-password" type="password" autocomplete="current-password" required value=${password}
          onInput=${(e) => setPassword(e.currentTarget.value)} />
      <//>
      <${ErrorLine} error=${error} />
      <div class="actions"><button type="submit" class="primary" disabled=${busy}>${t("signin.submit")}</button></div>
    </form>
    <p class="hint">${t("signin.members_hint")}</p>
  </main>`;
}

export function SetupNeeded() {
  return html`<main id="main" class="narrow">
    <h1>${t("setup.needed_title")}</h1>
    <p class="lead">${t("setup.needed_lead")}</p>
    <pre class="code">codev serve\n…\n${t("setup.needed_example")}</pre>
  </main>`;
}
