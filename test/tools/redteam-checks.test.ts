import { describe, expect, it } from "vitest";
import {
  formsFoundIn,
  formsMissingFrom,
  missedWhenPlanted,
  othersInFailedAnswers,
  withData,
} from "../fixtures/redteam/checks.ts";
import { CONTROL_FORMS, FORMS, type Form } from "../fixtures/redteam/corpus.ts";
import { datumOf } from "../fixtures/redteam/doors.ts";

/**
 * The red team's checks (test/fixtures/redteam/checks.ts), which both red-team tests assert empty: a check that
 * found nothing in text holding a form would let every scan pass. Each is shown here to find what it must.
 */
describe("the red team's checks", () => {
  const [first, second] = withData(FORMS) as [Form, Form];

  it("withData leaves out the control forms, which carry no datum", () => {
    // Act
    const ids = withData(FORMS).map((f) => f.id);
    // Assess
    expect(ids.length).toBe(FORMS.length - CONTROL_FORMS.size);
    for (const id of CONTROL_FORMS) expect(ids).not.toContain(id);
  });

  it("formsFoundIn names a form whose datum is in the text, and nothing in text without one", () => {
    // Act
    const found = formsFoundIn(`GET /page?x=${datumOf(first)} HTTP/1.1`);
    const none = formsFoundIn("GET /page HTTP/1.1 200 512");
    // Assess
    expect(found.some((entry) => entry.startsWith(`${first.id} (`))).toBe(true);
    expect(none).toEqual([]);
  });

  it("formsMissingFrom lists the forms whose datum is not in the text, and only those", () => {
    // Act
    const missing = formsMissingFrom(`a line with ${datumOf(first)} in it`, [first, second]);
    // Assess
    expect(missing).toContain(second.id);
    expect(missing).not.toContain(first.id);
  });

  it("othersInFailedAnswers lets an answer repeat its own form, and names any other form in it", () => {
    // Act
    const others = othersInFailedAnswers([
      { form: first, request: "own", text: `bad value: ${datumOf(first)}` },
      { form: first, request: "other", text: `bad value: ${datumOf(second)}` },
    ]);
    // Assess
    expect(others.some((entry) => entry.endsWith(" in own"))).toBe(false);
    expect(others).toContain(`${second.id} in other`);
  });

  it("missedWhenPlanted finds every form planted in an answer as each door writes it", () => {
    // Act and assess
    expect(missedWhenPlanted("json", JSON.stringify({ rows: [["/rt/page", 12]] }))).toEqual([]);
    expect(missedWhenPlanted("csv", "path,visitors\r\n/rt/page,12\r\n")).toEqual([]);
    expect(missedWhenPlanted("text", "ingested 12 lines")).toEqual([]);
  });
});
