import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  AthenaQueryEngine,
  AthenaStateError,
  athenaParameter,
  fromAthena,
} from "../../../functions/adapters/aws/athena-engine.ts";
import { QueryEngineError } from "../../../functions/ports/query-engine.ts";

const athena = mockClient(AthenaClient);
// The mock replaces the client class's send for the whole process, which the next test file shares.
afterAll(() => athena.restore());

/** A clock that only moves when the engine sleeps, recording each pause. */
function fakeTime() {
  let now = 1_000_000;
  const pauses: number[] = [];
  return {
    pauses,
    now: () => now,
    sleep: async (ms: number) => {
      pauses.push(ms);
      now += ms;
    },
  };
}

function engine(time = fakeTime(), extra: Partial<ConstructorParameters<typeof AthenaQueryEngine>[0]> = {}) {
  return new AthenaQueryEngine({
    client: new AthenaClient({ region: "eu-central-1" }),
    workGroup: "marketing",
    database: "logsieve",
    pollInitialMs: 100,
    pollMaxMs: 400,
    timeoutMs: 5_000,
    sleep: time.sleep,
    now: time.now,
    ...extra,
  });
}

const COLUMNS = [
  { Name: "day", Type: "varchar" },
  { Name: "hits", Type: "bigint" },
  { Name: "first_seen", Type: "timestamp" },
  { Name: "is_bot", Type: "boolean" },
];
const header = { Data: COLUMNS.map((c) => ({ VarCharValue: c.Name })) };
const row = (day: string, hits: string, ts: string | undefined, bot: string) => ({
  Data: [
    { VarCharValue: day },
    { VarCharValue: hits },
    ts === undefined ? {} : { VarCharValue: ts },
    { VarCharValue: bot },
  ],
});

beforeEach(() => {
  athena.reset();
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
});

describe("AthenaQueryEngine", () => {
  it("starts the query in the workgroup with execution parameters, polls with backoff and reads typed rows", async () => {
    // Prepare
    const time = fakeTime();
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: "QUEUED" } } })
      .resolvesOnce({ QueryExecution: { Status: { State: "RUNNING" } } })
      .resolvesOnce({ QueryExecution: { Status: { State: "RUNNING" } } })
      .resolvesOnce({ QueryExecution: { Status: { State: "RUNNING" } } })
      .resolves({ QueryExecution: { Status: { State: "SUCCEEDED" } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: COLUMNS },
        Rows: [
          header,
          row("2015-05-17", "1632", "2015-05-17 10:05:03.000", "false"),
          row("2015-05-18", "9007199254740993", undefined, "true"),
        ],
      },
    });

    // Act
    const result = await engine(time).query("SELECT ... WHERE site = ? AND dt >= ? AND n >= ?", [
      { type: "string", value: "o'brien.example" },
      { type: "date", value: "2015-05-17" },
      { type: "int", value: 5 },
    ]);

    // Assess
    const start = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input;
    expect(start).toMatchObject({
      WorkGroup: "marketing",
      QueryExecutionContext: { Database: "logsieve" },
      ExecutionParameters: ["'o''brien.example'", "'2015-05-17'", "5"],
    });
    expect(time.pauses).toEqual([100, 200, 400, 400]);
    expect(result.columns).toEqual([
      { name: "day", type: "varchar" },
      { name: "hits", type: "bigint" },
      { name: "first_seen", type: "timestamp" },
      { name: "is_bot", type: "boolean" },
    ]);
    expect(result.rows).toEqual([
      { day: "2015-05-17", hits: 1632, first_seen: "2015-05-17T10:05:03.000Z", is_bot: false },
      { day: "2015-05-18", hits: "9007199254740993", first_seen: null, is_bot: true },
    ]);
  });

  it("reads every page of the results, the header only once", async () => {
    // Prepare
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "SUCCEEDED" } } });
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: undefined })
      .resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: COLUMNS },
          Rows: [header, row("d1", "1", undefined, "false")],
        },
        NextToken: "p2",
      })
      .on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: "p2" })
      .resolves({
        ResultSet: { ResultSetMetadata: { ColumnInfo: COLUMNS }, Rows: [row("d2", "2", undefined, "false")] },
        NextToken: "p3",
      })
      .on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: "p3" })
      .resolves({
        ResultSet: { ResultSetMetadata: { ColumnInfo: COLUMNS }, Rows: [row("day", "3", undefined, "true")] },
      });

    // Act
    const result = await engine().query("SELECT 1");

    // Assess
    expect(result.rows.map((r) => [r.day, r.hits])).toEqual([
      ["d1", 1],
      ["d2", 2],
      ["day", 3],
    ]);
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(3);
    expect(
      athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input.ExecutionParameters,
    ).toBeUndefined();
  });

  it("fails with Athena's reason when the query FAILED", async () => {
    // Prepare
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: "FAILED",
          StateChangeReason: "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
          AthenaError: { ErrorCategory: 2, ErrorType: 1006 },
        },
      },
    });

    // Act
    const failure = await engine()
      .query("SELECT nope FROM events")
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(QueryEngineError);
    expect((failure as Error).message).toMatch(/q-1 failed: COLUMN_NOT_FOUND/);
    const cause = (failure as Error).cause;
    expect(cause).toBeInstanceOf(AthenaStateError);
    expect(cause).toMatchObject({
      state: "FAILED",
      reason: "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
      errorCategory: 2,
      errorType: 1006,
    });
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it("fails with the reason when the query was CANCELLED", async () => {
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: "CANCELLED", StateChangeReason: "Query cancelled by user" } },
    });
    const failure = await engine()
      .query("SELECT 1")
      .catch((error: unknown) => error);
    expect((failure as Error).message).toMatch(/was cancelled: Query cancelled by user/);
    expect((failure as Error).cause).toMatchObject({ state: "CANCELLED" });
  });

  it("stops a query that runs past the timeout and says so", async () => {
    // Prepare
    const time = fakeTime();
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "RUNNING" } } });
    athena.on(StopQueryExecutionCommand).resolves({});

    // Act
    const failure = await engine(time, { timeoutMs: 2_000 })
      .query("SELECT 1")
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(QueryEngineError);
    expect((failure as Error).message).toMatch(
      /did not finish within 2 s \(last state RUNNING\); it was stopped/,
    );
    expect(athena.commandCalls(StopQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryExecutionId: "q-1",
    });
    expect(time.pauses.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2_000);
  });

  it("reports a refused start with the SDK's error as cause", async () => {
    athena.on(StartQueryExecutionCommand).rejects(new Error("AccessDeniedException: not allowed"));
    const failure = await engine()
      .query("SELECT 1")
      .catch((error: unknown) => error);
    expect((failure as Error).message).toMatch(/refused to start the query in workgroup marketing/);
    expect(String((failure as Error).cause)).toMatch(/AccessDenied/);
  });
});

describe("Athena values", () => {
  it("writes parameters as SQL literals Athena substitutes safely", () => {
    expect(athenaParameter({ type: "string", value: "a'b" })).toBe("'a''b'");
    expect(athenaParameter({ type: "date", value: "2026-03-01" })).toBe("'2026-03-01'");
    expect(athenaParameter({ type: "int", value: -3 })).toBe("-3");
    expect(athenaParameter({ type: "double", value: 2.5 })).toBe("DOUBLE '2.5'");
    expect(athenaParameter({ type: "boolean", value: true })).toBe("true");
    expect(() => athenaParameter({ type: "int", value: 1.5 })).toThrow(QueryEngineError);
    expect(() => athenaParameter({ type: "string", value: "x".repeat(2000) })).toThrow(/1024/);
  });

  it("reads text results by column type", () => {
    expect(fromAthena("12", "integer")).toBe(12);
    expect(fromAthena("1.25", "double")).toBe(1.25);
    expect(fromAthena("2015-05-17 10:05:03.5", "timestamp(3)")).toBe("2015-05-17T10:05:03.500Z");
    expect(fromAthena("2015-05-17", "date")).toBe("2015-05-17");
    expect(fromAthena(undefined, "varchar")).toBeNull();
  });
});
