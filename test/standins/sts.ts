import { createHash } from "node:crypto";
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
 * STS over its Query protocol (form-encoded POST, XML answers): AssumeRole (with session tags),
 * GetSessionToken (an MFA device's serial and code, recorded in {@link StsStandin.mfaSessions}) and
 * GetCallerIdentity. Every AssumeRole hands out a fresh temporary key whose role and tags the test can look up
 * ({@link StsStandin.sessionOf}), so requests signed with it elsewhere (the other stand-ins log the access key
 * of each request) can be traced to the role a caller took. Trust policies are not evaluated: a test that needs
 * a refusal adds a deny rule (`{ service: "sts", action: "AssumeRole", resource: roleArn }`).
 */

export interface AssumedSession {
  readonly accessKeyId: string;
  readonly roleArn: string;
  readonly sessionName: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The access key that asked (the caller's own identity). */
  readonly assumedBy: string;
  readonly expiresAt: number;
}

const XMLNS = 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"';

export class StsStandin {
  private readonly sessions = new Map<string, AssumedSession>();
  private counter = 0;
  readonly handler: Handler;

  constructor(
    private readonly context: StandinContext,
    readonly account: string,
  ) {
    this.handler = (req, res) => this.handle(req, res);
  }

  /** Keys GetSessionToken issued, with the MFA serial and code they were asked with (the caller's own identity). */
  readonly mfaSessions = new Map<
    string,
    { readonly serial: string; readonly code: string; readonly caller: string }
  >();

  /** The role session a temporary access key belongs to, or undefined for a key STS did not issue. */
  sessionOf(accessKeyId: string): AssumedSession | undefined {
    return this.sessions.get(accessKeyId);
  }

  assumed(): AssumedSession[] {
    return [...this.sessions.values()];
  }

  /**
   * Credentials of a role session another service hands out (the Cognito identity pool's
   * AssumeRoleWithWebIdentity), recorded like AssumeRole's so their requests can be traced to the role.
   */
  issue(
    roleArn: string,
    sessionName: string,
    seconds: number,
  ): { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiresAt: number } {
    const { accessKeyId, expiresAt, n } = this.newSession(roleArn, sessionName, seconds, {}, "web-identity");
    return {
      accessKeyId,
      secretAccessKey: `standin-secret-${n}`,
      sessionToken: `standin-session-token-${n}`,
      expiresAt,
    };
  }

  private newSession(
    roleArn: string,
    sessionName: string,
    seconds: number,
    tags: Record<string, string>,
    assumedBy: string,
  ): { accessKeyId: string; expiresAt: number; n: number } {
    const n = ++this.counter;
    const accessKeyId = `ASIASTANDIN${String(n).padStart(9, "0")}`;
    const expiresAt = this.context.clock.now() + seconds * 1000;
    this.sessions.set(accessKeyId, { accessKeyId, roleArn, sessionName, tags, assumedBy, expiresAt });
    return { accessKeyId, expiresAt, n };
  }

  private async handle(
    req: import("node:http").IncomingMessage,
    res: import("node:http").ServerResponse,
  ): Promise<void> {
    const form = new URLSearchParams((await readBody(req)).toString("utf8"));
    const action = form.get("Action") ?? "";
    const accessKeyId = accessKeyOf(req);
    const resource = action === "AssumeRole" ? (form.get("RoleArn") ?? "") : "";
    const recorded = this.context.record({
      service: "sts",
      action,
      resource,
      accessKeyId,
      status: 200,
      details: {},
    });
    try {
      const rule = this.context.matchDeny("sts", action, resource, accessKeyId, recorded);
      if (rule !== undefined) {
        throw new ServiceError(
          rule.code ?? "AccessDenied",
          rule.status ?? 403,
          rule.message ?? `not authorized to perform sts:${action} on ${resource}`,
        );
      }
      let xml: string;
      if (action === "AssumeRole") xml = this.assumeRole(form, accessKeyId);
      else if (action === "GetCallerIdentity") xml = this.callerIdentity(accessKeyId);
      else if (action === "GetSessionToken") xml = this.sessionToken(form, accessKeyId);
      else throw new ServiceError("InvalidAction", 400, `${action} is not implemented by the stand-in`);
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

  private assumeRole(form: URLSearchParams, callerKey: string): string {
    const roleArn = form.get("RoleArn") ?? "";
    const sessionName = form.get("RoleSessionName") ?? "";
    if (!/^arn:aws:iam::\d{12}:role\/.+/.test(roleArn))
      throw new ServiceError("ValidationError", 400, "RoleArn is not a role ARN");
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName))
      throw new ServiceError("ValidationError", 400, "RoleSessionName is invalid");
    const tags: Record<string, string> = {};
    for (let i = 1; form.has(`Tags.member.${i}.Key`); i++) {
      tags[form.get(`Tags.member.${i}.Key`) as string] = form.get(`Tags.member.${i}.Value`) ?? "";
    }
    const duration = Number(form.get("DurationSeconds") ?? 3600);
    const { accessKeyId, expiresAt, n } = this.newSession(roleArn, sessionName, duration, tags, callerKey);
    const roleName =
      roleArn
        .slice(roleArn.indexOf(":role/") + 6)
        .split("/")
        .pop() ?? "";
    const roleId = `AROA${createHash("sha1").update(roleArn).digest("hex").slice(0, 17).toUpperCase()}`;
    return `<AssumeRoleResponse ${XMLNS}><AssumeRoleResult><Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>standin-secret-${n}</SecretAccessKey><SessionToken>standin-session-token-${n}</SessionToken><Expiration>${new Date(expiresAt).toISOString()}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>${roleId}:${xmlEscape(sessionName)}</AssumedRoleId><Arn>arn:aws:sts::${this.account}:assumed-role/${xmlEscape(roleName)}/${xmlEscape(sessionName)}</Arn></AssumedRoleUser><PackedPolicySize>${Object.keys(tags).length}</PackedPolicySize></AssumeRoleResult><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></AssumeRoleResponse>`;
  }

  /** Temporary credentials of the caller itself (no role), with the MFA device's code when one is given. */
  private sessionToken(form: URLSearchParams, callerKey: string): string {
    const serial = form.get("SerialNumber") ?? "";
    const code = form.get("TokenCode") ?? "";
    if ((serial === "") !== (code === ""))
      throw new ServiceError("ValidationError", 400, "SerialNumber and TokenCode go together");
    if (code !== "" && !/^\d{6}$/.test(code))
      throw new ServiceError("ValidationError", 400, "TokenCode is six digits");
    const n = ++this.counter;
    const accessKeyId = `ASIASTANDINMFA${String(n).padStart(6, "0")}`;
    const expiresAt = this.context.clock.now() + Number(form.get("DurationSeconds") ?? 43_200) * 1000;
    this.mfaSessions.set(accessKeyId, { serial, code, caller: callerKey });
    return `<GetSessionTokenResponse ${XMLNS}><GetSessionTokenResult><Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>standin-secret-${n}</SecretAccessKey><SessionToken>standin-session-token-${n}</SessionToken><Expiration>${new Date(expiresAt).toISOString()}</Expiration></Credentials></GetSessionTokenResult><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></GetSessionTokenResponse>`;
  }

  private callerIdentity(accessKeyId: string): string {
    const session = this.sessions.get(accessKeyId);
    const arn =
      session === undefined
        ? `arn:aws:iam::${this.account}:user/${accessKeyId || "anonymous"}`
        : `arn:aws:sts::${this.account}:assumed-role/${session.roleArn.split("/").pop()}/${session.sessionName}`;
    return `<GetCallerIdentityResponse ${XMLNS}><GetCallerIdentityResult><Arn>${xmlEscape(arn)}</Arn><UserId>${xmlEscape(accessKeyId)}</UserId><Account>${this.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
  }
}
