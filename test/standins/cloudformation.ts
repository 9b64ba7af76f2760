import type { IncomingMessage, ServerResponse } from "node:http";
import {
  accessKeyOf,
  type Handler,
  readBody,
  requestId,
  ServiceError,
  type StandinContext,
  xmlEscape,
} from "./http.ts";

/**
 * CloudFormation over its Query protocol, as far as an operator's smoke run reads it: DescribeStacks (status and
 * outputs) and ListStackResources (logical id, physical id and type of each resource). Stacks are registered by
 * the test or by deployment/deployment.ts from the synthesized template.
 */

export interface StandinStack {
  readonly name: string;
  readonly outputs: Readonly<Record<string, { readonly value: string; readonly description?: string }>>;
  readonly resources: readonly {
    readonly logicalId: string;
    readonly physicalId: string;
    readonly type: string;
  }[];
}

const XMLNS = 'xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"';

export class CloudFormationStandin {
  private readonly stacks = new Map<
    string,
    StandinStack & { readonly id: string; readonly createdAt: number }
  >();
  readonly handler: Handler;

  constructor(
    private readonly context: StandinContext,
    private readonly account: string,
    private readonly region: string,
  ) {
    this.handler = (req, res) => this.handle(req, res);
  }

  registerStack(stack: StandinStack): void {
    const id = `arn:aws:cloudformation:${this.region}:${this.account}:stack/${stack.name}/0b0e1c2d-3e4f-5061-7283-94a5b6c7d8e9`;
    this.stacks.set(stack.name, { ...stack, id, createdAt: this.context.clock.now() });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(req)).toString("utf8"));
    const action = form.get("Action") ?? "";
    const name = form.get("StackName") ?? "";
    const accessKeyId = accessKeyOf(req);
    const recorded = this.context.record({
      service: "cloudformation",
      action,
      resource: name,
      accessKeyId,
      status: 200,
      details: {},
    });
    try {
      const rule = this.context.matchDeny("cloudformation", action, name, accessKeyId, recorded);
      if (rule !== undefined) {
        throw new ServiceError(
          rule.code ?? "AccessDenied",
          rule.status ?? 403,
          rule.message ?? `not authorized to perform cloudformation:${action}`,
        );
      }
      const stack = this.stacks.get(name) ?? [...this.stacks.values()].find((s) => s.id === name);
      if (stack === undefined)
        throw new ServiceError("ValidationError", 400, `Stack with id ${name} does not exist`);
      let xml: string;
      if (action === "DescribeStacks") {
        const outputs = Object.entries(stack.outputs)
          .map(
            ([key, o]) =>
              `<member><OutputKey>${xmlEscape(key)}</OutputKey><OutputValue>${xmlEscape(o.value)}</OutputValue>${o.description === undefined ? "" : `<Description>${xmlEscape(o.description)}</Description>`}</member>`,
          )
          .join("");
        xml = `<DescribeStacksResponse ${XMLNS}><DescribeStacksResult><Stacks><member><StackName>${xmlEscape(stack.name)}</StackName><StackId>${xmlEscape(stack.id)}</StackId><CreationTime>${new Date(stack.createdAt).toISOString()}</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></DescribeStacksResponse>`;
      } else if (action === "ListStackResources") {
        const members = stack.resources
          .map(
            (r) =>
              `<member><LogicalResourceId>${xmlEscape(r.logicalId)}</LogicalResourceId><PhysicalResourceId>${xmlEscape(r.physicalId)}</PhysicalResourceId><ResourceType>${xmlEscape(r.type)}</ResourceType><LastUpdatedTimestamp>${new Date(stack.createdAt).toISOString()}</LastUpdatedTimestamp><ResourceStatus>CREATE_COMPLETE</ResourceStatus></member>`,
          )
          .join("");
        xml = `<ListStackResourcesResponse ${XMLNS}><ListStackResourcesResult><StackResourceSummaries>${members}</StackResourceSummaries></ListStackResourcesResult><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></ListStackResourcesResponse>`;
      } else {
        throw new ServiceError("InvalidAction", 400, `${action} is not implemented by the stand-in`);
      }
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(xml);
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      recorded.status = error.status;
      recorded.errorCode = error.code;
      res.writeHead(error.status, { "content-type": "text/xml" });
      res.end(
        `<ErrorResponse ${XMLNS}><Error><Type>Sender</Type><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
      );
    }
  }
}
