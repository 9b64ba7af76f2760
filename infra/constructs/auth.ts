import { Duration, Fn, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as cognito from "aws-cdk-lib/aws-cognito";
import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import type { DashboardRole } from "../../functions/core/dashboard/roles.ts";

/** The page the hosted sign-in returns to, relative to the HTTP API's URL (apps/dashboard: PAGE_PATH). */
export const DASHBOARD_PAGE_PATH = "/dashboard/";

/**
 * Precedence of each dashboard group (lower wins): a person in several groups gets the role of the strongest one
 * as `cognito:preferred_role`, which is the role the identity pool hands out. The strongest role also carries every
 * right of the weaker ones (access.ts), as the dashboard's capabilities do (core/dashboard/roles.ts).
 */
export const GROUP_PRECEDENCE: Readonly<Record<DashboardRole, number>> = {
  "security-lead": 0,
  security: 10,
  marketing: 20,
};

const GROUPS: readonly (readonly [string, DashboardRole, string])[] = [
  ["Marketing", "marketing", "Marketing dashboards: statistics only"],
  ["Security", "security", "Security view: the seven-day security zone"],
  ["SecurityLead", "security-lead", "Security lead: places and lifts legal holds"],
];

export interface DashboardSignInProps {
  /** The HTTP API's base URL (`https://<id>.execute-api.<region>.amazonaws.com`, no trailing slash). */
  readonly apiUrl: string;
  /** Further callback and sign-out URLs, e.g. the dashboard behind a custom domain. */
  readonly extraCallbackUrls?: readonly string[];
  /**
   * Prefix of the hosted sign-in domain (`<prefix>.auth.<region>.amazoncognito.com`). Default: `logsieve-` and the
   * first group of the stack's own id (a UUID CloudFormation assigns), unique per stack and stable across updates.
   */
  readonly domainPrefix?: string;
}

/**
 * Sign-in for the dashboards, usable right after `cdk deploy`:
 *
 * - a user pool (no self sign-up; an administrator invites people) with TOTP required: on the first sign-in the
 *   hosted pages (managed login) ask for a new password, then show the QR code of a TOTP secret and verify a code,
 *   so a new user enrols without any other tool;
 * - the hosted sign-in domain, and an app client (no secret: the page runs the authorization-code flow with PKCE)
 *   whose callback and sign-out URL is the dashboard page on the HTTP API's own URL;
 * - one group per dashboard role, and an identity pool that turns a signed-in person's ID token into temporary
 *   credentials of the IAM role of their group (the token's `cognito:preferred_role`; a token without one gets
 *   nothing). The dashboard function reads data only with those credentials, so IAM, not the function's code,
 *   decides what a person's request can read: a marketing token cannot be exchanged for SecurityAnalyst rights.
 */
export class DashboardSignIn extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;
  readonly identityPool: cognito.CfnIdentityPool;
  readonly groups: Readonly<Record<DashboardRole, cognito.CfnUserPoolGroup>>;
  /** The dashboard page on the API's URL: the app client's callback and sign-out URL. */
  readonly callbackUrl: string;

  constructor(scope: Construct, id: string, props: DashboardSignInProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.callbackUrl = `${props.apiUrl}${DASHBOARD_PAGE_PATH}`;

    this.userPool = new cognito.UserPool(this, "UserPool", {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false, email: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      userInvitation: {
        emailSubject: "Your logsieve dashboard account",
        // {username} and {####} are Cognito's placeholders for the sign-in name and the temporary password.
        emailBody: `You can now sign in to the logsieve dashboards at ${this.callbackUrl} with the user name {username} and the temporary password {####}. You will choose a new password and set up an authenticator app (TOTP) on your first sign-in.`,
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const groups = {} as Record<DashboardRole, cognito.CfnUserPoolGroup>;
    for (const [groupId, groupName, description] of GROUPS) {
      const group = new cognito.CfnUserPoolGroup(this, groupId, {
        userPoolId: this.userPool.userPoolId,
        groupName,
        description,
        precedence: GROUP_PRECEDENCE[groupName],
      });
      groups[groupName] = group;
    }
    this.groups = groups;

    const urls = [this.callbackUrl, ...(props.extraCallbackUrls ?? [])];
    this.client = this.userPool.addClient("DashboardClient", {
      generateSecret: false,
      authFlows: { userSrp: true },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
        callbackUrls: urls,
        logoutUrls: urls,
      },
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(8),
    });

    const stackUuidHead = Fn.select(0, Fn.split("-", Fn.select(2, Fn.split("/", stack.stackId))));
    this.domain = this.userPool.addDomain("Domain", {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? `logsieve-${stackUuidHead}` },
      managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    // Managed login shows its pages only for clients with a branding; Cognito's own look is enough.
    new cognito.CfnManagedLoginBranding(this, "Branding", {
      userPoolId: this.userPool.userPoolId,
      clientId: this.client.userPoolClientId,
      useCognitoProvidedValues: true,
    }).addResourceDependency(this.domain.node.defaultChild as cognito.CfnUserPoolDomain);

    this.identityPool = new cognito.CfnIdentityPool(this, "IdentityPool", {
      allowUnauthenticatedIdentities: false,
      allowClassicFlow: false,
      cognitoIdentityProviders: [
        {
          clientId: this.client.userPoolClientId,
          providerName: this.userPool.userPoolProviderName,
          serverSideTokenCheck: true,
        },
      ],
    });
  }

  /** The hosted sign-in base URL, `https://<prefix>.auth.<region>.amazoncognito.com`. */
  get hostedUrl(): string {
    return this.domain.baseUrl();
  }

  /** The token issuer (`https://cognito-idp.<region>.amazonaws.com/<pool id>`); its JWKS is at `/.well-known/jwks.json`. */
  get issuer(): string {
    return this.userPool.userPoolProviderUrl;
  }

  /** Who may take an analyst role with a token of this pool: the identity pool, for signed-in people only. */
  webIdentityStatement(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid: "SignedInDashboardUsers",
      principals: [new iam.FederatedPrincipal("cognito-identity.amazonaws.com")],
      actions: ["sts:AssumeRoleWithWebIdentity"],
      conditions: {
        StringEquals: { "cognito-identity.amazonaws.com:aud": this.identityPool.ref },
        "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": "authenticated" },
      },
    });
  }

  /**
   * Gives each group its role and lets the identity pool hand out exactly the token's preferred role. The roles'
   * trust policies must contain {@link webIdentityStatement}.
   */
  attachRoles(roles: Readonly<Record<DashboardRole, iam.IRole>>): void {
    for (const [role, group] of Object.entries(this.groups) as [DashboardRole, cognito.CfnUserPoolGroup][]) {
      group.roleArn = roles[role].roleArn;
    }
    const providerKey = Fn.join(":", [this.userPool.userPoolProviderName, this.client.userPoolClientId]);
    new cognito.CfnIdentityPoolRoleAttachment(this, "RoleAttachment", {
      identityPoolId: this.identityPool.ref,
      // No default role: a token without a preferred role (a person in no group) gets no credentials at all.
      roles: {},
      roleMappings: {
        dashboard: { identityProvider: providerKey, type: "Token", ambiguousRoleResolution: "Deny" },
      },
    });
  }
}
