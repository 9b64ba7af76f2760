import type { LogsieveConfig } from "../config.ts";
import { UTM_PARAMS } from "../scrub/scrub.ts";
import { type Block, type PolicyDocument, renderHtml, renderMarkdown, type Section } from "./document.ts";

/**
 * The privacy-policy section (Datenschutzerklärung) for what logsieve does, generated from the active
 * configuration so that the published text cannot drift from the deployment: every figure in it (hours, days,
 * months, prefix lengths, the threshold k) is read from the configuration, and every switch (consent mode, the
 * log tier, DNT/GPC, the query parameters kept, the provider database) changes the sentences it governs.
 *
 * Legal references: Art. 6(1)(f) GDPR for the security logs and for server-log statistics that read nothing
 * from the visitor's device; Art. 6(1)(a) GDPR with § 25(1) TDDDG (formerly TTDSG) for the tracker with consent;
 * Art. 17(3)(e) GDPR for evidence kept under a legal hold. The operator remains responsible for the whole
 * policy (controller, contact, hosting, other services); this is one section of it, to be reviewed before use.
 */

export const POLICY_LANGS = ["de", "en"] as const;
export type PolicyLang = (typeof POLICY_LANGS)[number];
export const POLICY_FORMATS = ["md", "html"] as const;
export type PolicyFormat = (typeof POLICY_FORMATS)[number];

/** The section ids, the same in every language. */
export const SECTION_IDS = [
  "overview",
  "server-logs",
  "statistics",
  "anonymization",
  "consent",
  "aggregation",
  "retention",
  "legal-hold",
  "rights",
] as const;
export type SectionId = (typeof SECTION_IDS)[number];

export interface PolicyOptions {
  readonly lang: PolicyLang;
  /** Whether the sites use the logsieve tracker / collector (default true); without it, no tracker text. */
  readonly tracker?: boolean;
  /** Hours between two deletion runs (the sweeper's schedule; hourly on AWS and in the docs). Default 1. */
  readonly sweepPeriodHours?: number;
}

/** The legal citations each language uses, verbatim (numbers in them are not configuration figures). */
export const CITATIONS: Readonly<Record<PolicyLang, readonly string[]>> = {
  de: [
    "Art. 6 Abs. 1 lit. f DSGVO",
    "Art. 6 Abs. 1 lit. a DSGVO",
    "§ 25 Abs. 1 TDDDG",
    "§ 25 TDDDG",
    "Art. 7 Abs. 3 DSGVO",
    "Art. 17 Abs. 3 lit. e DSGVO",
    "Art. 21 DSGVO",
    "Art. 15 bis 21 DSGVO",
    "Art. 77 DSGVO",
  ],
  en: [
    "Art. 6(1)(f) GDPR",
    "Art. 6(1)(a) GDPR",
    "Section 25(1) TDDDG",
    "Section 25 TDDDG",
    "Art. 7(3) GDPR",
    "Art. 17(3)(e) GDPR",
    "Art. 21 GDPR",
    "Arts. 15 to 21 GDPR",
    "Art. 77 GDPR",
  ],
};

const cite = (lang: PolicyLang, index: number): string => CITATIONS[lang][index] ?? "";

function hours(lang: PolicyLang, h: number): string {
  const unit = lang === "de" ? (h === 1 ? "Stunde" : "Stunden") : h === 1 ? "hour" : "hours";
  const base = `${h} ${unit}`;
  if (h % 24 !== 0) return base;
  const d = h / 24;
  return `${base} (${days(lang, d)})`;
}

function days(lang: PolicyLang, d: number): string {
  return lang === "de" ? `${d} ${d === 1 ? "Tag" : "Tage"}` : `${d} ${d === 1 ? "day" : "days"}`;
}

function months(lang: PolicyLang, m: number): string {
  return lang === "de" ? `${m} ${m === 1 ? "Monat" : "Monate"}` : `${m} ${m === 1 ? "month" : "months"}`;
}

function list(lang: PolicyLang, items: readonly string[], or = false): string {
  if (items.length <= 1) return items.join("");
  const and = lang === "de" ? (or ? " oder " : " und ") : or ? " or " : " and ";
  return `${items.slice(0, -1).join(", ")}${and}${items[items.length - 1]}`;
}

interface Facts {
  readonly c: LogsieveConfig;
  readonly tracker: boolean;
  readonly sweep: number;
  readonly provider: boolean;
  readonly rawHoursAllEqual: boolean;
}

/** The query parameters every site keeps: the five utm ones and the configuration's own. */
function keptParams(c: LogsieveConfig): string[] {
  return [...UTM_PARAMS, ...c.scrub.allowedQueryParams];
}

/** Per-site kept parameters, as a clause: " (für shop.example.com auch sku)". */
function siteParams(lang: PolicyLang, c: LogsieveConfig): string {
  const parts = Object.entries(c.siteSettings)
    .filter(([, s]) => s.allowedQueryParams.length > 0)
    .map(([site, s]) =>
      lang === "de"
        ? `für ${site} auch ${list("de", s.allowedQueryParams)}`
        : `for ${site} also ${list("en", s.allowedQueryParams)}`,
    );
  return parts.length === 0 ? "" : ` (${parts.join("; ")})`;
}

/** Which site a statistic counts for, and what happens to requests naming another host (issue 16). */
function siteRule(lang: PolicyLang, c: LogsieveConfig): string {
  if (c.sites.length === 0) {
    return lang === "de"
      ? "Der Host-Name, den ein Browser oder Programm mit einer Anfrage sendet, wird nie in Statistiken übernommen; alle Zugriffe zählen für unsere eine Website."
      : "The host name a browser or program sends with a request is never taken into statistics; every access counts for our one website.";
  }
  return lang === "de"
    ? `Statistiken werden nur für ${list("de", c.sites)} geführt. Eine Anfrage, die einen anderen Host-Namen nennt, wird nicht ausgewertet: Server-Logzeilen bleiben nur im Protokoll für Sicherheitszwecke (siehe oben), Messdaten werden abgewiesen.`
    : `Statistics are kept for ${list("en", c.sites)} only. A request naming another host name is not evaluated: server log lines stay in the log for security purposes only (see above), measurement data is refused.`;
}

/** Custom event properties sites keep (siteSettings.<site>.eventProperties), as a sentence, or "". */
function keptEventProps(lang: PolicyLang, c: LogsieveConfig): string {
  const parts = Object.entries(c.siteSettings)
    .filter(([, s]) => s.eventProperties.length > 0)
    .map(([site, s]) =>
      lang === "de"
        ? `für ${site} ${list("de", s.eventProperties)}`
        : `for ${site} ${list("en", s.eventProperties)}`,
    );
  if (parts.length === 0) return "";
  return lang === "de"
    ? ` Von Ereignissen, die eine Seite meldet (etwa „Anmeldung“), werden außer dem Namen nur diese Eigenschaften gespeichert: ${parts.join("; ")}; ihre Werte werden bereinigt wie Seitenadressen.`
    : ` Of events a page reports (such as "Signup"), only these properties are stored besides the name: ${parts.join("; ")}; their values are cleaned like page addresses.`;
}

/** Path patterns whose segments are kept, as a sentence, or "". */
function keptPaths(lang: PolicyLang, c: LogsieveConfig): string {
  const patterns = [...c.scrub.allowedPaths, ...Object.values(c.siteSettings).flatMap((s) => s.allowedPaths)];
  if (patterns.length === 0) return "";
  return lang === "de"
    ? ` Ausgenommen sind die mit * markierten Abschnitte von ${list("de", [...new Set(patterns)])}, die Produkt- oder Artikelnummern enthalten; auch dort werden E-Mail- und IP-Adressen ersetzt.`
    : ` Exempt are the segments marked * in ${list("en", [...new Set(patterns)])}, which hold product or article numbers; e-mail and IP addresses are replaced there too.`;
}

// ---------------------------------------------------------------------------------------------------------------
// German

function german(f: Facts): {
  title: string;
  note: string;
  sections: Record<SectionId, Block[]>;
  headings: Record<SectionId, string>;
} {
  const { c } = f;
  const r = c.retention;
  const sweepText = f.sweep === 1 ? "stündlich" : `alle ${hours("de", f.sweep)}`;
  const tierText: Record<LogsieveConfig["consent"]["logDefaultTier"], string> = {
    drop: "Server-Logdateien werden nicht für Statistiken verwendet; sie dienen allein der Sicherheit.",
    anonymous:
      "Aus den Server-Logdateien zählen wir Seitenaufrufe anonym: ohne Kennung, ohne IP-Präfix und ohne Browserversion.",
    statistics:
      "Aus den Server-Logdateien erstellen wir außerdem Statistiken über die Nutzung unserer Seiten. Dafür wird vor jeder Speicherung die IP-Adresse gekürzt und eine täglich wechselnde Besucherkennung gebildet (siehe unten).",
    marketing:
      "Aus den Server-Logdateien erstellen wir außerdem Statistiken über die Nutzung unserer Seiten und den Erfolg von Kampagnen (einschließlich Klick-Kennungen von Werbenetzwerken in der aufgerufenen Adresse). Dafür wird vor jeder Speicherung die IP-Adresse gekürzt und eine täglich wechselnde Besucherkennung gebildet (siehe unten).",
  };
  const sites = c.sites.length > 0 ? ` Er gilt für ${list("de", c.sites)}.` : "";
  const dataItems = [
    "aufgerufene Seite oder Datei (Adresse mit Suchparametern) und Host-Name",
    "Datum und Uhrzeit des Zugriffs",
    "übertragene Datenmenge und HTTP-Statuscode",
    "Browser und Betriebssystem (User-Agent)",
    "Referrer (die zuvor besuchte Seite)",
    "vollständige IP-Adresse",
    f.provider
      ? "aus der IP-Adresse abgeleitetes Land und Zugangsanbieter (Netzbetreiber)"
      : "aus der IP-Adresse abgeleitetes Land",
  ];
  const rawRetention = f.rawHoursAllEqual
    ? `Diese Protokolle werden höchstens ${hours("de", r.securityHours)} nach dem Zugriff, den sie beschreiben, gespeichert und dann gelöscht.`
    : `Diese Protokolle werden höchstens so lange gespeichert: angelieferte Logdateien ${hours("de", r.incomingHours)} ab Eingang, ausgewertete Zugriffe ${hours("de", r.securityHours)} und nicht lesbare Zeilen ${hours("de", r.rejectsHours)} nach dem Zugriff; danach werden sie gelöscht.`;
  const statistics: Block[] = [{ kind: "p", text: tierText[c.consent.logDefaultTier] }];
  statistics.push({ kind: "p", text: siteRule("de", c) });
  if (c.consent.logDefaultTier !== "drop") {
    statistics.push({
      kind: "p",
      text: `Für diese Auswertung wird nichts auf Ihrem Endgerät gespeichert oder daraus gelesen (${cite("de", 3)} ist daher nicht berührt). Rechtsgrundlage ist ${cite("de", 0)}: unser berechtigtes Interesse, die Nutzung unseres Angebots zu kennen, mit Daten, die so verkürzt sind, dass kein Rückschluss auf Ihre Person möglich ist. Sie können dem jederzeit widersprechen (${cite("de", 6)}).`,
    });
  }
  if (f.tracker) {
    statistics.push({
      kind: "p",
      text: `Auf unseren Seiten läuft zusätzlich ein eigenes Messskript ohne Cookies. Seitenaufrufe mit täglich wechselnder Besucherkennung, gekürzter IP-Adresse und Browserversion meldet es nur, wenn Sie in unserem Einwilligungsdialog zugestimmt haben; Rechtsgrundlage ist dann Ihre Einwilligung (${cite("de", 1)} in Verbindung mit ${cite("de", 2)}). Mit der Einwilligung „Marketing“ werden zusätzlich Klick-Kennungen von Werbenetzwerken ausgewertet.`,
    });
    statistics.push({
      kind: "p",
      text:
        c.consent.withoutConsent === "anonymous"
          ? "Ohne Einwilligung wird ein Seitenaufruf nur anonym gezählt: ohne Besucherkennung, ohne IP-Präfix und ohne Browserversion."
          : "Ohne Einwilligung meldet das Messskript nichts; es wird nichts gezählt.",
    });
  }
  const anonymization: Block[] = [
    {
      kind: "p",
      text: `Für Statistiken wird die IP-Adresse unmittelbar nach der Verarbeitung und vor jeder Speicherung gekürzt: Von IPv4-Adressen bleiben die ersten ${c.anonymize.ipv4Prefix} von 32 Bit (/${c.anonymize.ipv4Prefix}), von IPv6-Adressen die ersten ${c.anonymize.ipv6Prefix} von 128 Bit (/${c.anonymize.ipv6Prefix}). Enthält eine IPv6-Adresse eine IPv4-Adresse, bleibt von dieser nicht mehr übrig, als die IPv4-Kürzung erlaubt.`,
    },
    {
      kind: "p",
      text: `Die Besucherkennung ist ein Hashwert (HMAC) aus IP-Adresse, Browserkennung und Website, gebildet mit einem geheimen Zufallswert (Salt), der für jeden Tag neu erzeugt und ${hours("de", r.saltHours)} nach seiner Erzeugung vernichtet wird. Kennungen verschiedener Tage lassen sich daher nicht verknüpfen und von niemandem, auch nicht von uns, nachträglich berechnen. Die vollständige IP-Adresse und der vollständige User-Agent werden für Statistiken nicht gespeichert.`,
    },
    {
      kind: "p",
      text: `Seitenadressen werden vor der Speicherung bereinigt. Sie werden vollständig dekodiert, Steuerzeichen werden entfernt. Suchparameter werden entfernt, außer ${list("de", keptParams(c))}${siteParams("de", c)}; Sitzungskennungen und Zugangsdaten (etwa jsessionid, PHPSESSID, token, code) werden nie gespeichert. In der Adresse und in den behaltenen Werten werden E-Mail-Adressen, IP-Adressen in jeder Schreibweise (auch in Host-Namen), Telefonnummern, lange Zahlen und Kennungen wie Nutzer- oder Bestellnummern ersetzt (ein Abschnitt /user/ mit Nummer wird /user/:id).${keptPaths("de", c)}${keptEventProps("de", c)} Vom Referrer bleibt nur der Host-Name, ebenfalls ohne IP-Adressen und Kennungen. Namen in frei gewählten Texten lassen sich so nicht erkennen; sie erscheinen in Auswertungen nur, wenn mindestens ${c.k} Besucher sie übermittelt haben (siehe unten).`,
    },
  ];
  const reach = f.tracker
    ? "Das gilt, soweit uns das Signal erreicht: beim Messskript stets, bei Server-Logdateien nur, wenn der Server es protokolliert."
    : "Das gilt, soweit der Server das Signal protokolliert.";
  const signals: string[] = [];
  if (c.consent.honorDnt) signals.push("„Do Not Track“");
  if (c.consent.honorGpc) signals.push("„Global Privacy Control“");
  const consent: Block[] = [
    {
      kind: "p",
      text: f.tracker
        ? `Ihre Einwilligung können Sie jederzeit mit Wirkung für die Zukunft widerrufen (${cite("de", 4)}), indem Sie Ihre Auswahl im Einwilligungsdialog ändern; danach wird wie ohne Einwilligung verfahren.`
        : `Eine Einwilligung wird für diese Auswertung nicht eingeholt; Sie können ihr widersprechen (${cite("de", 6)}).`,
    },
    {
      kind: "p",
      text:
        signals.length > 0
          ? `Sendet Ihr Browser das Signal ${list("de", signals, true)}, werten wir das als Widerspruch: Für Statistiken wird dann nichts gespeichert. ${reach} Die Server-Logdatei für Sicherheitszwecke (siehe oben) wird trotzdem geführt.`
          : "Die Browsersignale „Do Not Track“ und „Global Privacy Control“ werden nicht ausgewertet; widersprechen können Sie über den Einwilligungsdialog oder formlos bei uns.",
    },
  ];
  if (c.consent.honorDnt !== c.consent.honorGpc) {
    consent.push({
      kind: "p",
      text: `Das Signal ${c.consent.honorDnt ? "„Global Privacy Control“" : "„Do Not Track“"} wird nicht ausgewertet.`,
    });
  }
  const retentionRows: string[][] = [
    ["Angelieferte Server-Logdateien", `${hours("de", r.incomingHours)} ab Eingang`],
    [
      "Ausgewertete Zugriffe mit vollständiger IP-Adresse (Sicherheit)",
      `${hours("de", r.securityHours)} ab dem Zugriff`,
    ],
    ["Nicht lesbare Logzeilen", `${hours("de", r.rejectsHours)} ab dem Einlesen`],
    ["Gekürzte Einzelereignisse (Statistikgrundlage)", `${days("de", r.eventsDays)} ab dem Zugriffstag`],
    ["Zusammengefasste Statistiken", `${months("de", r.statsMonths)} ab dem Tag, den sie beschreiben`],
    ["Tages-Salt der Besucherkennung", `${hours("de", r.saltHours)} ab seiner Erzeugung`],
    ["Beweismittel bei einem Sicherheitsvorfall", "bis zum Abschluss des Vorfalls (siehe unten)"],
  ];
  return {
    title: "Server-Logdateien, Reichweitenmessung und Speicherdauer",
    note: "Erzeugt von logsieve aus der aktiven Konfiguration (logsieve policy). Vor der Veröffentlichung prüfen und in die vollständige Datenschutzerklärung einfügen.",
    headings: {
      overview: "Überblick",
      "server-logs": "Server-Logdateien",
      statistics: "Reichweitenmessung",
      anonymization: "IP-Kürzung und Pseudonymisierung",
      consent: "Einwilligung, Widerruf und Widerspruch",
      aggregation: "Auswertung nur zusammengefasst",
      retention: "Speicherdauer",
      "legal-hold": "Aufbewahrung als Beweismittel",
      rights: "Ihre Rechte",
    },
    sections: {
      overview: [
        {
          kind: "p",
          text: `Dieser Abschnitt beschreibt, welche Daten beim Aufruf unserer Seiten verarbeitet werden, wozu, auf welcher Rechtsgrundlage und wie lange.${sites} Er wird aus der Konfiguration unseres Systems erzeugt und gibt deren aktuelle Einstellungen wieder.`,
        },
      ],
      "server-logs": [
        { kind: "p", text: "Bei jedem Aufruf unserer Seiten protokolliert der Server:" },
        { kind: "ul", items: dataItems },
        {
          kind: "p",
          text: `Zweck ist allein die Sicherheit unseres Angebots: Missbrauch, Betrug und Angriffe zu erkennen und abzuwehren. Rechtsgrundlage ist ${cite("de", 0)}; unser berechtigtes Interesse ist der sichere Betrieb. ${rawRetention} Gelöscht wird ${sweepText}; kein Eintrag bleibt länger als die genannte Frist zuzüglich der Zeit bis zum nächsten Löschlauf bestehen, auch wenn eine Logdatei verspätet eingeht. Nur die für Sicherheit zuständigen Personen haben Zugriff.`,
        },
      ],
      statistics,
      anonymization,
      consent,
      aggregation: [
        {
          kind: "p",
          text: `Ausgewertet werden nur zusammengefasste Zahlen (etwa Besuche je Tag, Seite, Land, Browser oder Gerätetyp). Jede Zeile einer Auswertung, die weniger als ${c.k} Besucher oder Besucher aus weniger als ${c.k} verschiedenen Netzen beschreibt, wird schon vor der Speicherung mit anderen unter „(andere)“ zusammengefasst, damit kein Rückschluss auf einzelne Personen möglich ist.`,
        },
      ],
      retention: [
        { kind: "table", head: ["Daten", "Höchstdauer"], rows: retentionRows },
        {
          kind: "p",
          text: `Nach Ablauf der Frist werden die Daten automatisch gelöscht; der Löschlauf findet ${sweepText} statt.`,
        },
      ],
      "legal-hold": [
        {
          kind: "p",
          text: `Erfordert ein Sicherheitsvorfall (etwa ein Angriff oder Betrug) die Sicherung von Beweismitteln, können die betroffenen Protokolleinträge über die genannten Fristen hinaus aufbewahrt werden, bis der Vorfall abgeschlossen ist (${cite("de", 0)} sowie ${cite("de", 5)}: Geltendmachung, Ausübung oder Verteidigung von Rechtsansprüchen). Gesichert werden nur die Einträge, die den Vorfall betreffen; sie sind gegen Änderung und Löschung gesperrt und nur der Sicherheitsleitung zugänglich. Wer wann warum eine Sicherung angelegt oder aufgehoben hat, wird protokolliert. Nach Aufhebung werden die Einträge beim nächsten Löschlauf gelöscht.`,
        },
      ],
      rights: [
        {
          kind: "p",
          text: `Sie haben das Recht auf Auskunft, Berichtigung, Löschung, Einschränkung der Verarbeitung, Datenübertragbarkeit und Widerspruch (${cite("de", 7)}) sowie das Recht auf Beschwerde bei einer Aufsichtsbehörde (${cite("de", 8)}). Da Statistiken nur gekürzte und täglich wechselnde Kennungen enthalten, können wir Sie darin in der Regel nicht wiedererkennen.`,
        },
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// English

function english(f: Facts): {
  title: string;
  note: string;
  sections: Record<SectionId, Block[]>;
  headings: Record<SectionId, string>;
} {
  const { c } = f;
  const r = c.retention;
  const sweepText = f.sweep === 1 ? "every hour" : `every ${hours("en", f.sweep)}`;
  const tierText: Record<LogsieveConfig["consent"]["logDefaultTier"], string> = {
    drop: "Server log files are not used for statistics; they serve security only.",
    anonymous:
      "From the server log files we count page views anonymously: without any identifier, IP prefix or browser version.",
    statistics:
      "From the server log files we also compile statistics on the use of our pages. For this, the IP address is shortened and a visitor identifier that changes daily is formed before anything is stored (see below).",
    marketing:
      "From the server log files we also compile statistics on the use of our pages and the success of campaigns (including click identifiers of advertising networks in the requested address). For this, the IP address is shortened and a visitor identifier that changes daily is formed before anything is stored (see below).",
  };
  const sites = c.sites.length > 0 ? ` It applies to ${list("en", c.sites)}.` : "";
  const dataItems = [
    "the page or file requested (address with query parameters) and the host name",
    "date and time of the access",
    "the amount of data transferred and the HTTP status code",
    "browser and operating system (user agent)",
    "the referrer (the page visited before)",
    "the full IP address",
    f.provider
      ? "the country and the access provider (network operator) derived from the IP address"
      : "the country derived from the IP address",
  ];
  const rawRetention = f.rawHoursAllEqual
    ? `These logs are kept for at most ${hours("en", r.securityHours)} after the access they describe and are then deleted.`
    : `These logs are kept for at most: delivered log files ${hours("en", r.incomingHours)} from their arrival, parsed accesses ${hours("en", r.securityHours)} and unreadable lines ${hours("en", r.rejectsHours)} after the access; then they are deleted.`;
  const statistics: Block[] = [{ kind: "p", text: tierText[c.consent.logDefaultTier] }];
  statistics.push({ kind: "p", text: siteRule("en", c) });
  if (c.consent.logDefaultTier !== "drop") {
    statistics.push({
      kind: "p",
      text: `Nothing is stored on or read from your device for this (so ${cite("en", 3)} does not apply). The legal basis is ${cite("en", 0)}: our legitimate interest in knowing how our service is used, with data reduced so far that no inference about you as a person is possible. You may object at any time (${cite("en", 6)}).`,
    });
  }
  if (f.tracker) {
    statistics.push({
      kind: "p",
      text: `Our pages also run our own measurement script, without cookies. It reports page views with a daily changing visitor identifier, the shortened IP address and the browser version only if you agreed in our consent dialog; the legal basis is then your consent (${cite("en", 1)} in conjunction with ${cite("en", 2)}). With the consent "marketing", click identifiers of advertising networks are evaluated as well.`,
    });
    statistics.push({
      kind: "p",
      text:
        c.consent.withoutConsent === "anonymous"
          ? "Without consent, a page view is only counted anonymously: without a visitor identifier, IP prefix or browser version."
          : "Without consent, the measurement script reports nothing; nothing is counted.",
    });
  }
  const anonymization: Block[] = [
    {
      kind: "p",
      text: `For statistics, the IP address is shortened immediately after processing and before anything is stored: of IPv4 addresses the first ${c.anonymize.ipv4Prefix} of 32 bits are kept (/${c.anonymize.ipv4Prefix}), of IPv6 addresses the first ${c.anonymize.ipv6Prefix} of 128 bits (/${c.anonymize.ipv6Prefix}). Where an IPv6 address contains an IPv4 address, no more of that is kept than the IPv4 shortening allows.`,
    },
    {
      kind: "p",
      text: `The visitor identifier is a keyed hash (HMAC) of IP address, browser identification and website, formed with a secret random value (salt) that is created anew for each day and destroyed ${hours("en", r.saltHours)} after its creation. Identifiers of different days therefore cannot be linked, nor recomputed later by anyone, including us. The full IP address and the full user agent are not stored for statistics.`,
    },
    {
      kind: "p",
      text: `Page addresses are cleaned before they are stored. They are decoded completely and control characters are removed. Query parameters are removed except ${list("en", keptParams(c))}${siteParams("en", c)}; session identifiers and credentials (such as jsessionid, PHPSESSID, token, code) are never stored. In the address and in the values kept, e-mail addresses, IP addresses in any notation (also within host names), phone numbers, long numbers and identifiers such as user or order numbers are replaced (a segment /user/ with a number becomes /user/:id).${keptPaths("en", c)}${keptEventProps("en", c)} Of the referrer only the host name is kept, also without IP addresses and identifiers. Names in freely chosen text cannot be recognised this way; they appear in evaluations only if at least ${c.k} visitors have sent them (see below).`,
    },
  ];
  const reach = f.tracker
    ? "This applies wherever the signal reaches us: always for the measurement script, for server log files only where the server records it."
    : "This applies where the server records the signal.";
  const signals: string[] = [];
  if (c.consent.honorDnt) signals.push('"Do Not Track"');
  if (c.consent.honorGpc) signals.push('"Global Privacy Control"');
  const consent: Block[] = [
    {
      kind: "p",
      text: f.tracker
        ? `You may withdraw your consent at any time with effect for the future (${cite("en", 4)}) by changing your choice in the consent dialog; from then on we proceed as without consent.`
        : `No consent is asked for this evaluation; you may object to it (${cite("en", 6)}).`,
    },
    {
      kind: "p",
      text:
        signals.length > 0
          ? `If your browser sends the ${list("en", signals, true)} signal, we treat it as an objection: nothing is then stored for statistics. ${reach} The server log for security purposes (see above) is still kept.`
          : 'The browser signals "Do Not Track" and "Global Privacy Control" are not evaluated; you can object in the consent dialog or by telling us.',
    },
  ];
  if (c.consent.honorDnt !== c.consent.honorGpc) {
    consent.push({
      kind: "p",
      text: `The ${c.consent.honorDnt ? '"Global Privacy Control"' : '"Do Not Track"'} signal is not evaluated.`,
    });
  }
  const retentionRows: string[][] = [
    ["Delivered server log files", `${hours("en", r.incomingHours)} from arrival`],
    [
      "Parsed accesses with the full IP address (security)",
      `${hours("en", r.securityHours)} from the access`,
    ],
    ["Unreadable log lines", `${hours("en", r.rejectsHours)} from reading`],
    [
      "Shortened individual events (basis of statistics)",
      `${days("en", r.eventsDays)} from the day of access`,
    ],
    ["Aggregated statistics", `${months("en", r.statsMonths)} from the day they describe`],
    ["Daily salt of the visitor identifier", `${hours("en", r.saltHours)} from its creation`],
    ["Evidence in a security incident", "until the incident is closed (see below)"],
  ];
  return {
    title: "Server log files, audience measurement and retention",
    note: "Generated by logsieve from the active configuration (logsieve policy). Review before publishing and insert into the complete privacy policy.",
    headings: {
      overview: "Overview",
      "server-logs": "Server log files",
      statistics: "Audience measurement",
      anonymization: "IP shortening and pseudonymisation",
      consent: "Consent, withdrawal and objection",
      aggregation: "Aggregated evaluation only",
      retention: "Retention periods",
      "legal-hold": "Keeping evidence",
      rights: "Your rights",
    },
    sections: {
      overview: [
        {
          kind: "p",
          text: `This section describes which data are processed when you visit our pages, for which purpose, on which legal basis and for how long.${sites} It is generated from the configuration of our system and reflects its current settings.`,
        },
      ],
      "server-logs": [
        { kind: "p", text: "With every request to our pages the server records:" },
        { kind: "ul", items: dataItems },
        {
          kind: "p",
          text: `The sole purpose is the security of our service: detecting and fending off abuse, fraud and attacks. The legal basis is ${cite("en", 0)}; our legitimate interest is secure operation. ${rawRetention} Deletion runs ${sweepText}; no entry outlives that period by more than the time until the next deletion run, even when a log file arrives late. Only the persons responsible for security have access.`,
        },
      ],
      statistics,
      anonymization,
      consent,
      aggregation: [
        {
          kind: "p",
          text: `Only aggregated figures are evaluated (such as visits per day, page, country, browser or device type). Any row of an evaluation that describes fewer than ${c.k} visitors, or visitors from fewer than ${c.k} different networks, is merged with others into "(other)" before it is stored, so that no inference about individual persons is possible.`,
        },
      ],
      retention: [
        { kind: "table", head: ["Data", "Maximum period"], rows: retentionRows },
        {
          kind: "p",
          text: `When the period has passed, the data are deleted automatically; the deletion runs ${sweepText}.`,
        },
      ],
      "legal-hold": [
        {
          kind: "p",
          text: `If a security incident (such as an attack or fraud) requires evidence to be secured, the log entries concerned may be kept beyond the periods above until the incident is closed (${cite("en", 0)} and ${cite("en", 5)}: establishment, exercise or defence of legal claims). Only the entries concerning the incident are secured; they are locked against change and deletion and accessible to the security lead only. Who placed or lifted such a hold, when and why, is logged. Once the hold is lifted, the entries are deleted in the next deletion run.`,
        },
      ],
      rights: [
        {
          kind: "p",
          text: `You have the right of access, rectification, erasure, restriction of processing, data portability and objection (${cite("en", 7)}) and the right to lodge a complaint with a supervisory authority (${cite("en", 8)}). As statistics hold only shortened identifiers that change daily, we usually cannot recognise you in them.`,
        },
      ],
    },
  };
}

/** The notice as structure. */
export function buildPolicy(config: LogsieveConfig, options: PolicyOptions): PolicyDocument {
  const r = config.retention;
  const sweep = options.sweepPeriodHours ?? 1;
  if (!Number.isInteger(sweep) || sweep < 1)
    throw new RangeError("sweepPeriodHours must be a positive integer");
  const facts: Facts = {
    c: config,
    tracker: options.tracker ?? true,
    sweep,
    // The provider comes from the bundled AS database or the operator's (geo.asnDb) unless turned off.
    provider: config.geo.provider,
    rawHoursAllEqual: r.incomingHours === r.securityHours && r.securityHours === r.rejectsHours,
  };
  const texts = options.lang === "de" ? german(facts) : english(facts);
  const sections: Section[] = SECTION_IDS.map((id) => ({
    id,
    heading: texts.headings[id],
    blocks: texts.sections[id],
  }));
  return { lang: options.lang, title: texts.title, note: texts.note, sections };
}

/** The notice as Markdown or as an HTML fragment. */
export function generatePolicy(
  config: LogsieveConfig,
  options: PolicyOptions & { readonly format?: PolicyFormat },
): string {
  const doc = buildPolicy(config, options);
  return (options.format ?? "md") === "html" ? renderHtml(doc) : renderMarkdown(doc);
}
