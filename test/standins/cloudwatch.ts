import { type Handler, jsonService, type StandinContext } from "./http.ts";

/**
 * CloudWatch over its JSON 1.0 protocol (`X-Amz-Target: GraniteServiceVersion20100801.<Action>`): DescribeAlarms
 * by name, as a smoke run asks whether the stack's alarms exist, and GetMetricStatistics (Sum, SampleCount,
 * Maximum per period), as it asks whether the sweeper ran. Alarms are registered by the test or by
 * deployment/deployment.ts from the template's `AWS::CloudWatch::Alarm` resources, in state OK; data points are put
 * by deployment/deployment.ts as Lambda does for every invocation (`AWS/Lambda` Invocations and Errors per
 * FunctionName).
 */

export interface StandinDatapoint {
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Epoch ms. */
  readonly at: number;
  readonly value: number;
}

export interface StandinAlarm {
  readonly name: string;
  readonly description?: string;
  state: "OK" | "ALARM" | "INSUFFICIENT_DATA";
}

export class CloudWatchStandin {
  readonly alarms = new Map<string, StandinAlarm>();
  readonly datapoints: StandinDatapoint[] = [];
  readonly handler: Handler;

  constructor(
    context: StandinContext,
    private readonly account: string,
    private readonly region: string,
  ) {
    this.handler = jsonService({
      service: "cloudwatch",
      context,
      targetPrefix: "GraniteServiceVersion20100801",
      contentType: "application/x-amz-json-1.0",
      resourceOf: (_action, input) => [input.AlarmNames ?? []].flat().join(","),
      errorHeaders: (code, status) => ({
        "x-amzn-query-error": `${code};${status >= 500 ? "Receiver" : "Sender"}`,
      }),
      handle: async (action, input) => {
        if (action === "GetMetricStatistics") return this.statistics(input);
        if (action !== "DescribeAlarms") return { __unsupported: action };
        const names = [input.AlarmNames ?? []].flat().map(String);
        const selected =
          names.length === 0 ? [...this.alarms.values()] : names.flatMap((n) => this.alarms.get(n) ?? []);
        return {
          MetricAlarms: selected.map((a) => ({
            AlarmName: a.name,
            AlarmArn: `arn:aws:cloudwatch:${this.region}:${this.account}:alarm:${a.name}`,
            ...(a.description === undefined ? {} : { AlarmDescription: a.description }),
            StateValue: a.state,
          })),
          CompositeAlarms: [],
        };
      },
    });
  }

  registerAlarm(alarm: StandinAlarm): void {
    this.alarms.set(alarm.name, alarm);
  }

  putDatapoint(point: StandinDatapoint): void {
    this.datapoints.push(point);
  }

  /** The data points of one metric and dimension set in [StartTime, EndTime), by period, as CloudWatch sums them. */
  private statistics(input: Record<string, unknown>): unknown {
    const seconds = (v: unknown) => (typeof v === "number" ? v * 1000 : Date.parse(String(v)));
    const from = seconds(input.StartTime);
    const to = seconds(input.EndTime);
    const period = Number(input.Period ?? 60) * 1000;
    const wanted = Object.fromEntries(
      ((input.Dimensions ?? []) as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value]),
    );
    const buckets = new Map<number, number[]>();
    for (const p of this.datapoints) {
      if (p.namespace !== input.Namespace || p.metric !== input.MetricName) continue;
      if (p.at < from || p.at >= to) continue;
      const keys = Object.keys(p.dimensions);
      if (keys.length !== Object.keys(wanted).length || keys.some((k) => p.dimensions[k] !== wanted[k]))
        continue;
      const start = from + Math.floor((p.at - from) / period) * period;
      buckets.set(start, [...(buckets.get(start) ?? []), p.value]);
    }
    const statistics = (input.Statistics ?? []) as string[];
    return {
      Label: input.MetricName,
      Datapoints: [...buckets].map(([start, values]) => ({
        Timestamp: start / 1000,
        ...(statistics.includes("Sum") ? { Sum: values.reduce((a, b) => a + b, 0) } : {}),
        ...(statistics.includes("SampleCount") ? { SampleCount: values.length } : {}),
        ...(statistics.includes("Maximum") ? { Maximum: Math.max(...values) } : {}),
        Unit: "Count",
      })),
    };
  }
}
