import {
  createHash,
  createHmac,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Handler, jsonService, readBody, ServiceError, type StandinContext } from "./http.ts";
import type { StsStandin } from "./sts.ts";

/**
 * Cognito, as far as the dashboard's sign-in and data access reach it:
 *
 * - the hosted pages of a user pool domain (managed login): `GET /oauth2/authorize` (authorization code with PKCE
 *   S256 only), a password form, on the first sign-in of an invited person a new-password form and the TOTP
 *   enrolment (the secret shown as text and as an `otpauth://` URI, one code to confirm it), later a TOTP form;
 *   then a redirect to a registered callback with `code` and `state`;
 * - `POST /oauth2/token` (the code, its verifier, the same redirect URI; CORS for the page's origin), answering an
 *   RS256 ID token and access token; `GET /<pool id>/.well-known/jwks.json`; `GET /logout` (registered URIs only);
 * - the identity pool API (`AWSCognitoIdentityService.GetId`, `GetCredentialsForIdentity`, JSON 1.1 on `POST /`):
 *   the login token is verified (signature, issuer, audience, expiry) and exchanged for credentials of the role the
 *   token names as `cognito:preferred_role`, issued through the STS stand-in so requests signed with them can be
 *   traced to that role. A token without a preferred role gets nothing (the deployment's `AmbiguousRoleResolution:
 *   Deny` with no default role).
 *
 * The issuer is `<url>/<pool id>` (on AWS `https://cognito-idp.<region>.amazonaws.com/<pool id>`). Tokens and TOTP
 * codes use the wall clock, as the browser and the verifier do.
 */

export interface CognitoPoolConfig {
  readonly poolId: string;
  readonly clientId: string;
  readonly identityPoolId: string;
  /** Callback and sign-out URLs of the app client. */
  readonly callbackUrls: readonly string[];
  /** Each group's role ARN and precedence (lower wins), as the template's user-pool groups say. */
  readonly groups: Readonly<Record<string, { readonly roleArn?: string; readonly precedence: number }>>;
}

export interface CognitoUser {
  readonly email: string;
  password: string;
  /** An invited person's password is temporary: the first sign-in asks for a new one. */
  temporary: boolean;
  readonly groups: readonly string[];
  totpSecret?: Buffer;
  readonly sub: string;
}

interface Transaction {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state: string | null;
  readonly challenge: string;
  user?: CognitoUser;
  pendingSecret?: Buffer;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** RFC 6238 (HMAC-SHA1, 30-second steps, 6 digits), the authenticator apps' default. */
export function totp(secret: Buffer, atMs: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 30_000)));
  const mac = createHmac("sha1", secret).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, "0");
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><style>body{font:16px system-ui,sans-serif;max-width:26rem;margin:4rem auto;color:#1f2937}h1{font-size:1.3rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.45rem;font-size:1rem;box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1.2rem;font-size:1rem}code{word-break:break-all;background:#f3f4f6;padding:.15rem .3rem}.error{color:#b91c1c}.note{color:#4b5563;font-size:.9rem}</style></head><body><p class="note">Cognito stand-in · managed login</p>${body}</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function form(action: string, txn: string, fields: string, submit: string, error?: string): string {
  return `${error === undefined ? "" : `<p class="error" role="alert">${escapeHtml(error)}</p>`}<form method="post" action="${action}"><input type="hidden" name="txn" value="${txn}">${fields}<button type="submit">${submit}</button></form>`;
}

export class CognitoStandin {
  url = "";
  private config: CognitoPoolConfig | undefined;
  private readonly users = new Map<string, CognitoUser>();
  private readonly transactions = new Map<string, Transaction>();
  private readonly codes = new Map<string, { txn: Transaction; user: CognitoUser; expiresAt: number }>();
  private readonly identities = new Map<string, string>();
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly kid = randomBytes(8).toString("hex");
  private readonly identityApi: Handler;
  readonly handler: Handler;
  /** Every credential the identity pool issued: which sign-in got which role. */
  readonly issued: { readonly email: string; readonly roleArn: string; readonly accessKeyId: string }[] = [];

  constructor(
    context: StandinContext,
    private readonly sts: StsStandin,
    readonly region: string,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.identityApi = jsonService({
      service: "cognito-identity",
      context,
      targetPrefix: "AWSCognitoIdentityService",
      contentType: "application/x-amz-json-1.1",
      resourceOf: (_action, input) => String(input.IdentityPoolId ?? input.IdentityId ?? ""),
      handle: async (action, input) => this.identity(action, input),
    });
    this.handler = (req, res) => this.handle(req, res);
  }

  configure(config: CognitoPoolConfig): void {
    this.config = config;
  }

  get issuer(): string {
    return `${this.url}/${this.pool().poolId}`;
  }

  /** Invites a person: they sign in first with this temporary password. */
  addUser(email: string, temporaryPassword: string, groups: readonly string[]): CognitoUser {
    const user: CognitoUser = {
      email,
      password: temporaryPassword,
      temporary: true,
      groups,
      sub: createHash("sha256").update(email).digest("hex").slice(0, 32),
    };
    this.users.set(email.toLowerCase(), user);
    return user;
  }

  user(email: string): CognitoUser | undefined {
    return this.users.get(email.toLowerCase());
  }

  /** A token for a user as the hosted pages would issue it (for tests that do not drive a browser). */
  idTokenFor(email: string, lifetimeSeconds = 3600, use: "id" | "access" = "id"): string {
    const user = this.user(email);
    if (user === undefined) throw new Error(`no user ${email}`);
    return this.token(user, use, lifetimeSeconds);
  }

  /** A token with these claims changed, signed by this pool's key (a test's wrong audience, issuer...). */
  tamperedTokenFor(email: string, changes: Record<string, unknown>): string {
    const [header, body] = this.idTokenFor(email).split(".") as [string, string];
    const claims = { ...JSON.parse(Buffer.from(body, "base64url").toString("utf8")), ...changes };
    const payload = b64url(JSON.stringify(claims));
    const signature = sign("RSA-SHA256", Buffer.from(`${header}.${payload}`), this.privateKey).toString(
      "base64url",
    );
    return `${header}.${payload}.${signature}`;
  }

  private pool(): CognitoPoolConfig {
    if (this.config === undefined) throw new Error("the Cognito stand-in has no user pool configured");
    return this.config;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    if (req.method === "POST" && req.headers["x-amz-target"] !== undefined) return this.identityApi(req, res);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        ...headers,
      });
      res.end(body);
    };
    const redirect = (location: string) => {
      res.writeHead(302, { location, "cache-control": "no-store" });
      res.end();
    };
    try {
      if (req.method === "GET" && url.pathname === "/oauth2/authorize") return send(200, this.authorize(url));
      if (req.method === "POST" && url.pathname.startsWith("/login/")) {
        const fields = new URLSearchParams((await readBody(req)).toString("utf8"));
        const outcome = this.step(url.pathname.slice("/login/".length), fields);
        if (outcome.redirect !== undefined) return redirect(outcome.redirect);
        return send(outcome.status ?? 200, outcome.html ?? "");
      }
      if (req.method === "POST" && url.pathname === "/oauth2/token") {
        const origin = String(req.headers.origin ?? "*");
        const cors = { "access-control-allow-origin": origin, vary: "origin" };
        const fields = new URLSearchParams((await readBody(req)).toString("utf8"));
        try {
          const tokens = this.exchange(fields);
          res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store", ...cors });
          res.end(JSON.stringify(tokens));
        } catch (error) {
          res.writeHead(400, { "content-type": "application/json", ...cors });
          res.end(JSON.stringify({ error: error instanceof Error ? error.message : "invalid_request" }));
        }
        return;
      }
      if (req.method === "OPTIONS" && url.pathname === "/oauth2/token") {
        res.writeHead(204, {
          "access-control-allow-origin": String(req.headers.origin ?? "*"),
          "access-control-allow-methods": "POST",
          "access-control-allow-headers": "content-type",
        });
        res.end();
        return;
      }
      if (req.method === "GET" && url.pathname === `/${this.pool().poolId}/.well-known/jwks.json`) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            keys: [{ ...this.publicKey.export({ format: "jwk" }), kid: this.kid, alg: "RS256", use: "sig" }],
          }),
        );
        return;
      }
      if (req.method === "GET" && url.pathname === "/logout") {
        const target = url.searchParams.get("logout_uri") ?? "";
        if (
          url.searchParams.get("client_id") !== this.pool().clientId ||
          !this.pool().callbackUrls.includes(target)
        ) {
          return send(400, page("Error", "<h1>Invalid logout request</h1>"));
        }
        return redirect(target);
      }
      send(404, page("Not found", "<h1>Not found</h1>"));
    } catch (error) {
      send(
        400,
        page(
          "Error",
          `<h1 class="error">${escapeHtml(error instanceof Error ? error.message : "error")}</h1>`,
        ),
      );
    }
  }

  private authorize(url: URL): string {
    const q = url.searchParams;
    const pool = this.pool();
    if (q.get("response_type") !== "code") throw new Error("response_type must be code");
    if (q.get("client_id") !== pool.clientId) throw new Error("unknown client_id");
    const redirectUri = q.get("redirect_uri") ?? "";
    if (!pool.callbackUrls.includes(redirectUri))
      throw new Error("redirect_uri is not a callback URL of the client");
    if (q.get("code_challenge_method") !== "S256" || !q.get("code_challenge")) {
      throw new Error("PKCE with code_challenge_method=S256 is required");
    }
    const txn = randomBytes(12).toString("hex");
    this.transactions.set(txn, {
      clientId: pool.clientId,
      redirectUri,
      state: q.get("state"),
      challenge: q.get("code_challenge") ?? "",
    });
    return this.loginPage(txn);
  }

  private loginPage(txn: string, error?: string): string {
    return page(
      "Sign in",
      `<h1>Sign in</h1>${form(
        "/login/password",
        txn,
        '<label for="username">Email</label><input id="username" name="username" type="email" autocomplete="username"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">',
        "Sign in",
        error,
      )}`,
    );
  }

  private enrolPage(txn: string, secret: Buffer, email: string, error?: string): string {
    const text = base32(secret);
    const uri = `otpauth://totp/logsieve:${encodeURIComponent(email)}?secret=${text}&issuer=logsieve`;
    return page(
      "Set up your authenticator",
      `<h1>Set up an authenticator app</h1><p>Scan the QR code or enter this key in your authenticator app:</p><p><code id="totp-secret">${text}</code></p><p class="note"><code id="totp-uri">${escapeHtml(uri)}</code></p>${form(
        "/login/enrol",
        txn,
        '<label for="code">Code from the app</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code">',
        "Verify",
        error,
      )}`,
    );
  }

  private step(name: string, fields: URLSearchParams): { status?: number; html?: string; redirect?: string } {
    const txnId = fields.get("txn") ?? "";
    const txn = this.transactions.get(txnId);
    if (txn === undefined) return { status: 400, html: page("Error", "<h1>This sign-in expired</h1>") };
    const pool = this.pool();
    if (name === "password") {
      const user = this.user(fields.get("username") ?? "");
      if (user === undefined || user.password !== (fields.get("password") ?? "")) {
        return { status: 200, html: this.loginPage(txnId, "Incorrect username or password.") };
      }
      txn.user = user;
      if (user.temporary) {
        return {
          html: page(
            "Change password",
            `<h1>Change your password</h1>${form(
              "/login/new-password",
              txnId,
              '<label for="new-password">New password</label><input id="new-password" name="password" type="password" autocomplete="new-password">',
              "Change password",
            )}`,
          ),
        };
      }
      return this.mfaStep(txnId, txn);
    }
    const user = txn.user;
    if (user === undefined) return { status: 400, html: this.loginPage(txnId, "Sign in first.") };
    if (name === "new-password") {
      const password = fields.get("password") ?? "";
      const ok =
        password.length >= 14 &&
        /[a-z]/.test(password) &&
        /[A-Z]/.test(password) &&
        /\d/.test(password) &&
        /[^A-Za-z0-9]/.test(password);
      if (!ok) {
        return {
          html: page(
            "Change password",
            `<h1>Change your password</h1>${form("/login/new-password", txnId, '<label for="new-password">New password</label><input id="new-password" name="password" type="password">', "Change password", "Password does not conform to policy: at least 14 characters with upper and lower case letters, digits and symbols.")}`,
          ),
        };
      }
      user.password = password;
      user.temporary = false;
      return this.mfaStep(txnId, txn);
    }
    const code = fields.get("code") ?? "";
    const now = Date.now();
    const matches = (secret: Buffer) => [-30_000, 0, 30_000].some((d) => totp(secret, now + d) === code);
    if (name === "enrol") {
      const secret = txn.pendingSecret;
      if (secret === undefined) return { status: 400, html: this.loginPage(txnId, "Start again.") };
      if (!matches(secret))
        return { html: this.enrolPage(txnId, secret, user.email, "Invalid code received for user.") };
      user.totpSecret = secret;
      return { redirect: this.finish(txnId, txn, user, pool) };
    }
    if (name === "mfa") {
      if (user.totpSecret === undefined || !matches(user.totpSecret)) {
        return {
          html: page(
            "Verify",
            `<h1>Enter the code from your authenticator app</h1>${form("/login/mfa", txnId, '<label for="code">Code</label><input id="code" name="code" inputmode="numeric">', "Sign in", "Invalid code.")}`,
          ),
        };
      }
      return { redirect: this.finish(txnId, txn, user, pool) };
    }
    return { status: 404, html: page("Not found", "<h1>Not found</h1>") };
  }

  /** MFA is required: enrol a TOTP secret on the first sign-in, else ask for a code. */
  private mfaStep(txnId: string, txn: Transaction): { html: string } {
    const user = txn.user as CognitoUser;
    if (user.totpSecret === undefined) {
      txn.pendingSecret = randomBytes(20);
      return { html: this.enrolPage(txnId, txn.pendingSecret, user.email) };
    }
    return {
      html: page(
        "Verify",
        `<h1>Enter the code from your authenticator app</h1>${form("/login/mfa", txnId, '<label for="code">Code</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code">', "Sign in")}`,
      ),
    };
  }

  private finish(txnId: string, txn: Transaction, user: CognitoUser, _pool: CognitoPoolConfig): string {
    this.transactions.delete(txnId);
    const code = randomBytes(16).toString("hex");
    this.codes.set(code, { txn, user, expiresAt: Date.now() + 300_000 });
    const target = new URL(txn.redirectUri);
    target.searchParams.set("code", code);
    if (txn.state !== null) target.searchParams.set("state", txn.state);
    return target.toString();
  }

  private exchange(fields: URLSearchParams): Record<string, unknown> {
    if (fields.get("grant_type") !== "authorization_code") throw new Error("unsupported_grant_type");
    const entry = this.codes.get(fields.get("code") ?? "");
    if (entry === undefined || entry.expiresAt < Date.now()) throw new Error("invalid_grant");
    this.codes.delete(fields.get("code") ?? "");
    if (fields.get("client_id") !== entry.txn.clientId) throw new Error("invalid_client");
    if (fields.get("redirect_uri") !== entry.txn.redirectUri) throw new Error("invalid_grant");
    const verifier = fields.get("code_verifier") ?? "";
    if (b64url(createHash("sha256").update(verifier).digest()) !== entry.txn.challenge)
      throw new Error("invalid_grant");
    return {
      id_token: this.token(entry.user, "id", 3600),
      access_token: this.token(entry.user, "access", 3600),
      token_type: "Bearer",
      expires_in: 3600,
    };
  }

  private token(user: CognitoUser, use: "id" | "access", lifetimeSeconds: number): string {
    const pool = this.pool();
    const now = Math.floor(Date.now() / 1000);
    const roles = [...user.groups]
      .map((g) => ({ g, spec: pool.groups[g] }))
      .filter((x) => x.spec?.roleArn !== undefined)
      .sort((a, b) => (a.spec?.precedence ?? 0) - (b.spec?.precedence ?? 0));
    const claims: Record<string, unknown> = {
      sub: user.sub,
      iss: this.issuer,
      token_use: use,
      auth_time: now,
      iat: now,
      exp: now + lifetimeSeconds,
      "cognito:groups": [...user.groups],
      ...(use === "id"
        ? {
            aud: pool.clientId,
            email: user.email,
            email_verified: true,
            "cognito:username": user.sub,
            ...(roles.length === 0
              ? {}
              : {
                  "cognito:preferred_role": roles[0]?.spec?.roleArn,
                  "cognito:roles": roles.map((r) => r.spec?.roleArn),
                }),
          }
        : { client_id: pool.clientId, scope: "openid email", username: user.sub }),
    };
    const header = b64url(JSON.stringify({ alg: "RS256", kid: this.kid, typ: "JWT" }));
    const body = b64url(JSON.stringify(claims));
    const signature = sign("RSA-SHA256", Buffer.from(`${header}.${body}`), this.privateKey).toString(
      "base64url",
    );
    return `${header}.${body}.${signature}`;
  }

  /** The claims of a token this pool issued, after checking signature, issuer, audience, use and expiry. */
  private verified(token: string): Record<string, unknown> {
    const [header, body, signature] = token.split(".");
    if (header === undefined || body === undefined || signature === undefined)
      throw new ServiceError(
        "NotAuthorizedException",
        400,
        "Invalid login token. Not a valid OpenId Connect identity token.",
      );
    const ok = verify(
      "RSA-SHA256",
      Buffer.from(`${header}.${body}`),
      this.publicKey,
      Buffer.from(signature, "base64url"),
    );
    const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, unknown>;
    if (
      !ok ||
      claims.iss !== this.issuer ||
      claims.aud !== this.pool().clientId ||
      claims.token_use !== "id"
    ) {
      throw new ServiceError("NotAuthorizedException", 400, "Invalid login token.");
    }
    if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) {
      throw new ServiceError("NotAuthorizedException", 400, "Invalid login token. Token expired.");
    }
    return claims;
  }

  private loginClaims(input: Record<string, unknown>): Record<string, unknown> {
    const logins = (input.Logins ?? {}) as Record<string, string>;
    const provider = this.issuer.replace(/^https?:\/\//, "");
    const token = logins[provider];
    if (token === undefined)
      throw new ServiceError("NotAuthorizedException", 400, `no login for ${provider}`);
    return this.verified(token);
  }

  private async identity(action: string, input: Record<string, unknown>): Promise<unknown> {
    const pool = this.pool();
    if (action === "GetId") {
      if (input.IdentityPoolId !== pool.identityPoolId)
        throw new ServiceError("ResourceNotFoundException", 400, "IdentityPool not found");
      const claims = this.loginClaims(input);
      const id = `${this.region}:${createHash("sha256").update(String(claims.sub)).digest("hex").slice(0, 32)}`;
      this.identities.set(id, String(claims.sub));
      return { IdentityId: id };
    }
    if (action === "GetCredentialsForIdentity") {
      const id = String(input.IdentityId ?? "");
      const claims = this.loginClaims(input);
      if (this.identities.get(id) !== claims.sub)
        throw new ServiceError("NotAuthorizedException", 400, "Logins don't match");
      const role = claims["cognito:preferred_role"];
      if (typeof role !== "string") {
        throw new ServiceError(
          "InvalidIdentityPoolConfigurationException",
          400,
          "No role to assume: the token has no preferred role and ambiguous roles are denied",
        );
      }
      const credentials = this.sts.issue(role, "CognitoIdentityCredentials", 3600);
      this.issued.push({ email: String(claims.email), roleArn: role, accessKeyId: credentials.accessKeyId });
      return {
        IdentityId: id,
        Credentials: {
          AccessKeyId: credentials.accessKeyId,
          SecretKey: credentials.secretAccessKey,
          SessionToken: credentials.sessionToken,
          Expiration: credentials.expiresAt / 1000,
        },
      };
    }
    throw new ServiceError("UnknownOperationException", 400, `${action} is not implemented by the stand-in`);
  }
}
