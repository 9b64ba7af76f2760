import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { JwtVerifier } from "aws-jwt-verify";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import { close, listen, readBody } from "../http.ts";
import type { DeployedFunction, Deployment } from "./deployment.ts";

/**
 * The template's HTTP API (API Gateway v2) on a local port, so a browser can use the deployed dashboard: each
 * `AWS::ApiGatewayV2::Route` (`GET /dashboard/{proxy+}`, ...; a full match before a greedy `{proxy+}`, as API
 * Gateway picks the most specific route) goes to its Lambda integration's function, invoked in
 * its sandbox with a payload-format 2.0 event; a route with a JWT authorizer refuses a request whose Bearer token
 * does not verify (issuer: the Cognito stand-in's, audience: the authorizer's) with 401 before the function runs,
 * as API Gateway does, and hands the verified claims over in `requestContext.authorizer.jwt`. A route with a Lambda
 * REQUEST authorizer (simple responses, payload 2.0: the Stats API's key check) answers 401 when the identity source
 * header is missing, invokes the authorizer's bundle otherwise, answers 403 when it says no (500 when it fails), and
 * hands its context over in `requestContext.authorizer.lambda`. Authorizer answers are not cached here (API Gateway
 * caches them for the route's TTL).
 */

interface RouteSpec {
  readonly method: string;
  readonly pattern: RegExp;
  readonly routeKey: string;
  readonly fn: DeployedFunction;
  readonly audience: readonly string[] | null;
  /** A Lambda REQUEST authorizer: its function and the header its identity source names. */
  readonly lambdaAuthorizer: { readonly fn: DeployedFunction; readonly header: string } | null;
}

function compile(path: string): RegExp {
  const escaped = path
    .split("/")
    .map((part) =>
      part === "{proxy+}"
        ? "(.+)"
        : /^\{[^}]+\}$/.test(part)
          ? "([^/]+)"
          : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  return new RegExp(`^${escaped}$`);
}

/** Requests the stand-in has taken and not yet answered, so a test can wait until none is left. */
class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];

  async around(work: () => Promise<void>): Promise<void> {
    this.count++;
    try {
      await work();
    } finally {
      this.count--;
      if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  settled(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

export class ApiGatewayStandin {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly inFlight: InFlight,
  ) {}

  /**
   * Resolves once every request taken so far is answered. A browser that closes its page does not stop the
   * function behind a request it already sent (nor does API Gateway), so a test that counts what the functions
   * did from now on waits for the requests of earlier tests first.
   */
  settled(): Promise<void> {
    return this.inFlight.settled();
  }

  static async start(stack: Deployment): Promise<ApiGatewayStandin> {
    const r = stack.resolver;
    const routes: RouteSpec[] = [];
    for (const id of r.ofType("AWS::ApiGatewayV2::Route")) {
      const routeKey = String(r.property(id, "RouteKey"));
      const [method, path] = routeKey.split(" ") as [string, string];
      const target = String(r.property(id, "Target")).replace(/^integrations\//, "");
      const uri = r.resources[target]?.Properties?.IntegrationUri as
        | { "Fn::GetAtt"?: [string, string] }
        | undefined;
      const fnId = uri?.["Fn::GetAtt"]?.[0];
      const fn = fnId === undefined ? undefined : stack.functions.get(fnId);
      if (fn === undefined) throw new Error(`route ${routeKey} has no bundled function`);
      let audience: string[] | null = null;
      if (r.property(id, "AuthorizationType") === "JWT") {
        const authorizer =
          (r.resources[id]?.Properties?.AuthorizerId as { Ref?: string } | undefined)?.Ref ?? "";
        const config = r.property(authorizer, "JwtConfiguration") as { Audience?: string[] } | undefined;
        audience = config?.Audience ?? [];
      }
      let lambdaAuthorizer: RouteSpec["lambdaAuthorizer"] = null;
      if (r.property(id, "AuthorizationType") === "CUSTOM") {
        const authorizer =
          (r.resources[id]?.Properties?.AuthorizerId as { Ref?: string } | undefined)?.Ref ?? "";
        const props = r.resources[authorizer]?.Properties ?? {};
        const authorizerFnId = /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(
          JSON.stringify(props.AuthorizerUri),
        )?.[1];
        const authorizerFn = authorizerFnId === undefined ? undefined : stack.functions.get(authorizerFnId);
        const source = (props.IdentitySource as string[] | undefined)?.[0] ?? "";
        const header = /^\$request\.header\.(.+)$/.exec(source)?.[1];
        if (authorizerFn === undefined || header === undefined || props.AuthorizerType !== "REQUEST") {
          throw new Error(`route ${routeKey}: only a Lambda REQUEST authorizer on one header is served here`);
        }
        lambdaAuthorizer = { fn: authorizerFn, header: header.toLowerCase() };
      }
      routes.push({ method, pattern: compile(path), routeKey, fn, audience, lambdaAuthorizer });
    }
    // API Gateway picks the most specific route: a full match before a route with a greedy `{proxy+}`
    // (`POST /api/dashboard/stats` before `POST /api/dashboard/{proxy+}`), whatever the template's order.
    const greedy = (route: RouteSpec) => (route.routeKey.includes("{proxy+}") ? 1 : 0);
    routes.sort((a, b) => greedy(a) - greedy(b));
    const verifiers = new Map<string, { verify(token: string): Promise<unknown> }>();
    const verifierFor = (audience: readonly string[]) => {
      const key = audience.join(",");
      let verifier = verifiers.get(key);
      if (verifier === undefined) {
        const issuer = stack.aws.cognito.issuer;
        verifier = JwtVerifier.create(
          { issuer, audience: [...audience], jwksUri: `${issuer}/.well-known/jwks.json` },
          {
            jwksCache: new SimpleJwksCache({
              fetcher: { fetch: async (uri) => (await fetch(uri)).arrayBuffer() },
            }),
          },
        );
        verifiers.set(key, verifier);
      }
      return verifier;
    };

    const inFlight = new InFlight();
    const { server, url } = await listen((req, res) => inFlight.around(() => respond(req, res)));
    return new ApiGatewayStandin(server, url, inFlight);

    async function respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const target = new URL(req.url ?? "/", "http://api");
      const method = req.method ?? "GET";
      // A trailing slash matches the route without it (`/dashboard/` is served by `GET /dashboard`), as the
      // deployment assumes of API Gateway (infra/constructs/collector.ts).
      const route =
        routes.find((x) => x.method === method && x.pattern.test(target.pathname)) ??
        routes.find((x) => x.method === method && x.pattern.test(target.pathname.replace(/\/$/, "")));
      if (route === undefined) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: "Not Found" }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
      }
      let claims: unknown;
      if (route.audience !== null) {
        const token = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1];
        try {
          if (token === undefined) throw new Error("no token");
          claims = await verifierFor(route.audience).verify(token);
        } catch {
          res.writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" });
          res.end(JSON.stringify({ message: "Unauthorized" }));
          return;
        }
      }
      let lambdaContext: unknown;
      if (route.lambdaAuthorizer !== null) {
        const identity = headers[route.lambdaAuthorizer.header];
        if (identity === undefined || identity === "") {
          res.writeHead(401, { "content-type": "application/json" });
          res.end(JSON.stringify({ message: "Unauthorized" }));
          return;
        }
        const decision = await stack.invoke(route.lambdaAuthorizer.fn, {
          version: "2.0",
          type: "REQUEST",
          routeArn: `arn:aws:execute-api:${stack.aws.region}:${stack.aws.account}:standin/$default/${method}${target.pathname}`,
          identitySource: [identity],
          routeKey: route.routeKey,
          rawPath: target.pathname,
          rawQueryString: target.search.slice(1),
          headers,
          requestContext: {
            accountId: stack.aws.account,
            apiId: "standin",
            http: {
              method,
              path: target.pathname,
              protocol: "HTTP/1.1",
              sourceIp: req.socket.remoteAddress ?? "",
            },
            routeKey: route.routeKey,
            stage: "$default",
          },
        });
        if (!decision.ok) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ message: "Internal Server Error" }));
          return;
        }
        const answer = decision.value as { isAuthorized?: unknown; context?: unknown };
        if (answer.isAuthorized !== true) {
          res.writeHead(403, { "content-type": "application/json" });
          res.end(JSON.stringify({ message: "Forbidden" }));
          return;
        }
        lambdaContext = answer.context ?? {};
      }
      const body = await readBody(req);
      const cookies = headers.cookie?.split(/;\s*/).filter((c) => c.length > 0);
      const now = stack.aws.clock.now();
      const event = {
        version: "2.0",
        routeKey: route.routeKey,
        rawPath: target.pathname,
        rawQueryString: target.search.slice(1),
        ...(cookies === undefined || cookies.length === 0 ? {} : { cookies }),
        headers,
        requestContext: {
          accountId: stack.aws.account,
          apiId: "standin",
          domainName: headers.host ?? "127.0.0.1",
          domainPrefix: "standin",
          http: {
            method,
            path: target.pathname,
            protocol: "HTTP/1.1",
            sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
            userAgent: headers["user-agent"] ?? "",
          },
          requestId: `standin-${now}`,
          routeKey: route.routeKey,
          stage: "$default",
          time: new Date(now).toUTCString(),
          timeEpoch: now,
          ...(claims === undefined ? {} : { authorizer: { jwt: { claims, scopes: null } } }),
          ...(lambdaContext === undefined ? {} : { authorizer: { lambda: lambdaContext } }),
        },
        ...(body.length === 0 ? {} : { body: body.toString("base64"), isBase64Encoded: true }),
      };
      const result = await stack.invoke(route.fn, event);
      if (!result.ok) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: "Internal Server Error" }));
        return;
      }
      const answer = result.value as {
        statusCode?: number;
        headers?: Record<string, string>;
        cookies?: string[];
        body?: string;
        isBase64Encoded?: boolean;
      };
      const out: Record<string, string | string[]> = { ...(answer.headers ?? {}) };
      if (answer.cookies !== undefined && answer.cookies.length > 0) out["set-cookie"] = answer.cookies;
      res.writeHead(answer.statusCode ?? 200, out);
      res.end(
        answer.body === undefined
          ? undefined
          : Buffer.from(answer.body, answer.isBase64Encoded ? "base64" : "utf8"),
      );
    }
  }

  async stop(): Promise<void> {
    await close(this.server);
  }
}
