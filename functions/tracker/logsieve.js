/*!
 * logsieve.js — the first-party tracker of logsieve. MIT licence. No dependencies, no cookies, no storage.
 *
 *   <script defer src="https://collector.example.com/logsieve.js" data-site="example.com"></script>
 *
 * Attributes of the script tag (all optional):
 *   data-site              the site as configured in logsieve (default: this page's host without "www.")
 *   data-api               the collect endpoint (default: <origin of this script>/collect)
 *   data-require-consent   "true": send nothing until the banner has answered (see Consent below)
 *   data-hash              "true": a change of location.hash is a new page view (hash-routed single-page apps)
 *   data-auto              "false": no automatic page views; call logsieve("pageview") yourself
 *
 * Calls (they may be queued before the script loads, like this:
 *   window.logsieve = window.logsieve || function () { (window.logsieve.q = window.logsieve.q || []).push(arguments) };)
 *   logsieve("pageview")                               a page view of the current URL
 *   logsieve("event", "Signup", { props: {plan: "pro"} })  a custom event (props: kept when the site allowlists their names)
 *   logsieve("consent", { statistics: true, marketing: false })   the banner's answer (see Consent)
 *
 * Consent: the collector decides what is stored from the categories sent with each event (none sent: counted
 * anonymously, or dropped, as the operator configured). The site's banner tells this script in one of two ways:
 *   - call logsieve("consent", {statistics: true|false, marketing: true|false}) whenever the visitor decides
 *     (and on each page load, from the banner's own stored state);
 *   - or define window.logsieveConsent, an object of that shape or a function returning one; it is read
 *     each time an event is sent, so it can read the banner's state directly.
 * With data-require-consent="true", events wait in memory until one of these gives an answer.
 *
 * Do Not Track and Global Privacy Control: when the browser sends either (navigator.doNotTrack === "1",
 * navigator.globalPrivacyControl === true), this script sends nothing at all. The collector honours the DNT and
 * Sec-GPC headers as well, for clients that send the headers without exposing them to scripts.
 *
 * Transport: navigator.sendBeacon with a text/plain JSON body (no CORS preflight, survives page unload), or
 * fetch with keepalive when sendBeacon is missing or refuses. No identifier is created, kept or sent.
 */
(() => {
  const w = window;
  const d = document;
  const nav = navigator;
  const script = d.currentScript;
  const attr = (name) => (script ? script.getAttribute(`data-${name}`) : null);

  const optedOut = () =>
    nav.globalPrivacyControl === true ||
    nav.doNotTrack === "1" ||
    w.doNotTrack === "1" ||
    nav.msDoNotTrack === "1";

  let endpoint = attr("api");
  if (!endpoint) {
    try {
      endpoint = `${new URL(script.src).origin}/collect`;
    } catch (_error) {
      endpoint = "/collect";
    }
  }
  const site = (attr("site") || location.hostname).replace(/^www\./, "").toLowerCase();
  const requireConsent = attr("require-consent") === "true";
  const hashRouting = attr("hash") === "true";
  const auto = attr("auto") !== "false";

  let given = null;
  const held = [];

  function category(value) {
    return value === true || value === false ? value : undefined;
  }

  /** The banner's answer: logsieve("consent", …) wins over window.logsieveConsent; null when neither says. */
  function consent() {
    let answer = given;
    if (answer === null && w.logsieveConsent !== undefined && w.logsieveConsent !== null) {
      try {
        answer = typeof w.logsieveConsent === "function" ? w.logsieveConsent() : w.logsieveConsent;
      } catch (_error) {
        answer = null;
      }
    }
    if (!answer || typeof answer !== "object") return null;
    const out = {};
    const statistics = category(answer.statistics);
    const marketing = category(answer.marketing);
    if (statistics !== undefined) out.statistics = statistics;
    if (marketing !== undefined) out.marketing = marketing;
    return statistics === undefined && marketing === undefined ? null : out;
  }

  function pageUrl() {
    const href = location.href;
    return hashRouting ? href : href.split("#")[0];
  }

  function transmit(payload) {
    const body = JSON.stringify(payload);
    let queued = false;
    try {
      queued = typeof nav.sendBeacon === "function" && nav.sendBeacon(endpoint, body);
    } catch (_error) {
      queued = false;
    }
    if (!queued && typeof w.fetch === "function") {
      w.fetch(endpoint, {
        method: "POST",
        body,
        keepalive: true,
        credentials: "omit",
        headers: { "Content-Type": "text/plain" },
      }).catch(() => undefined);
    }
  }

  function send(name, options) {
    if (optedOut() || location.protocol === "file:") return;
    const payload = { site, url: pageUrl(), referrer: d.referrer || null, name };
    if (options?.props && typeof options.props === "object") payload.props = options.props;
    const answer = consent();
    if (answer === null && requireConsent) {
      held.push(payload);
      return;
    }
    if (answer !== null) payload.consent = answer;
    transmit(payload);
  }

  function release() {
    const answer = consent();
    if (answer === null) return;
    while (held.length > 0) {
      const payload = held.shift();
      payload.consent = answer;
      transmit(payload);
    }
  }

  let lastPage = null;
  function pageview(force) {
    const page = pageUrl();
    if (!force && page === lastPage) return;
    lastPage = page;
    send("pageview");
  }

  function call(command, a, b) {
    if (command === "pageview") pageview(true);
    else if (command === "event" && typeof a === "string") send(a, b);
    else if (command === "consent") {
      given = a && typeof a === "object" ? a : null;
      release();
    }
  }

  // Single-page apps: a pushState or replaceState that changes the URL, or going back/forward, is a page view.
  if (auto) {
    for (const method of ["pushState", "replaceState"]) {
      const original = history[method];
      if (typeof original !== "function") continue;
      history[method] = function (...args) {
        const result = original.apply(this, args);
        pageview(false);
        return result;
      };
    }
    w.addEventListener("popstate", () => pageview(false));
    if (hashRouting) w.addEventListener("hashchange", () => pageview(false));
  }

  const queued = w.logsieve && Array.isArray(w.logsieve.q) ? w.logsieve.q : [];
  w.logsieve = (...args) => call(...args);
  for (const args of queued) call(...Array.prototype.slice.call(args));

  if (auto) {
    // A prerendered page is counted when (and if) it is shown.
    if (d.visibilityState === "prerender") {
      d.addEventListener("visibilitychange", function onVisible() {
        if (d.visibilityState === "prerender") return;
        d.removeEventListener("visibilitychange", onVisible);
        pageview(false);
      });
    } else {
      pageview(false);
    }
  }
})();
