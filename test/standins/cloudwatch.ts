import { type Handler, jsonService, type StandinContext } from "./http.ts";

/**
 * CloudWatch over its JSON 1.0 protocol (`X-Amz-Target: GraniteServiceVersion20100801.<Action>`): DescribeAlarms
 * by name, as a smoke run asks whether the stack's alarms exist. Alarms are registered by the test or by
 * deployment/deployment.ts from the template's `AWS::CloudWatch::Alarm` resources, in state OK.
 */

export interface StandinAlarm {
  readonly name: string;
  readonly description?: string;
  state: "OK" | "ALARM" | "INSUFFICIENT_DATA";
}

export class CloudWatchStandin {
  readonly alarms = new Map<string, StandinAlarm>();
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
}
