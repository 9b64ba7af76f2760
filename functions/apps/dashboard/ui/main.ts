/// <reference lib="dom" />
import { ApiError, getMe, type Me, signOut } from "./api.ts";
import { canSignIn, forgetToken, type PageConfig, prepareAuth, signedOutUrl, startSignIn } from "./auth.ts";
import { h, replace } from "./dom.ts";
import { marketingView } from "./marketing.ts";
import { securityView } from "./security.ts";

/**
 * The dashboard page: signs in (local session cookie or Cognito), asks the API who it is, and shows the views
 * the role may see: #marketing, and #security for the security roles. Everything is built with DOM calls; the
 * page has no inline script or style (the CSP forbids them).
 */

const VIEWS = [
  { id: "marketing", label: "Marketing", capability: "marketing" },
  { id: "security", label: "Security", capability: "security" },
] as const;

function signInScreen(app: HTMLElement, config: PageConfig, message: string): void {
  const invalid = new URLSearchParams(location.search).get("signin") === "invalid";
  replace(
    app,
    h(
      "div",
      { className: "signin", "data-testid": "signin" },
      h("h1", {}, "logsieve dashboards"),
      invalid
        ? h(
            "p",
            { className: "error", role: "alert" },
            "That sign-in link is not valid. Links change every time `logsieve serve` starts.",
          )
        : null,
      h("p", {}, message),
      canSignIn(config)
        ? h("button", { type: "button", onclick: () => void startSignIn(config) }, "Sign in")
        : h(
            "p",
            { className: "footnote" },
            config.auth === "session"
              ? "Open one of the links `logsieve serve` printed when it started: one for marketing, one for security, one for the security lead."
              : "Sign-in is not configured for this deployment.",
          ),
    ),
  );
}

function shell(app: HTMLElement, me: Me, config: PageConfig): void {
  const available = VIEWS.filter((v) => me.capabilities.includes(v.capability));
  const main = h("main", { id: "view" });
  const tabs = VIEWS.filter((v) => available.includes(v)).map((v) =>
    h("a", { href: `#${v.id}`, className: "tab", "data-tab": v.id }, v.label),
  );
  const header = h(
    "header",
    { className: "topbar" },
    h(
      "div",
      { className: "brand" },
      h("span", { className: "logo", "aria-hidden": "true" }),
      "logsieve",
      h("span", { className: "brand-sub" }, "analytics without personal data"),
    ),
    h("nav", { "aria-label": "Views" }, ...tabs),
    h(
      "div",
      { className: "who" },
      h("span", { className: "role", "data-testid": "role" }, me.roles.join(", ")),
      h(
        "button",
        {
          type: "button",
          className: "ghost",
          onclick: async () => {
            forgetToken();
            await signOut();
            location.assign(signedOutUrl(config));
          },
        },
        "Sign out",
      ),
    ),
  );
  replace(app, header, main);

  // Without a tab in the URL, a security role lands on the Security view (what it signed in for), others on Marketing.
  const landing = available.some((v) => v.id === "security") ? "security" : (available[0]?.id ?? "marketing");
  const render = () => {
    const id = location.hash.replace(/^#/, "") || landing;
    for (const tab of tabs) tab.classList.toggle("active", tab.dataset.tab === id);
    document.title = `logsieve · ${id === "security" ? "Security" : "Marketing"}`;
    if (id === "security") securityView(main, me);
    else marketingView(main, me);
  };
  window.addEventListener("hashchange", render);
  render();
}

async function boot(): Promise<void> {
  const app = document.getElementById("app");
  if (app === null) return;
  let config: PageConfig = { auth: "session" };
  try {
    const response = await fetch("/dashboard/config.json", { credentials: "same-origin" });
    if (response.ok) config = (await response.json()) as PageConfig;
  } catch {
    replace(app, h("p", { className: "error", role: "alert" }, "The dashboard server cannot be reached."));
    return;
  }
  await prepareAuth(config);
  try {
    const me = await getMe();
    shell(app, me, config);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      signInScreen(app, config, "You are not signed in.");
    } else {
      replace(
        app,
        h(
          "p",
          { className: "error", role: "alert" },
          error instanceof ApiError ? error.message : "The dashboards could not start.",
        ),
      );
    }
  }
}

void boot();
