import { JwtVerifier } from "aws-jwt-verify";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";

/** Checks a token and returns its claims; throws when the token is not one of the pool's client's ID tokens. */
export interface CognitoIdTokenVerifier {
  verify(token: string): Promise<Readonly<Record<string, unknown>>>;
}

/**
 * ID tokens of one user pool's app client, verified with aws-jwt-verify: RS256 signature by a key of the issuer's
 * JWKS, `iss`, `aud` (the client), `exp`, and `token_use: id`. The JWKS is fetched with the platform's fetch and
 * cached per key id. Used by every function that takes a signed-in person's token: the dashboard-api function
 * (apps/dashboard/aws.ts) and the stats-api function for the dashboard's panels (apps/stats/aws.ts).
 */
export function cognitoIdTokenVerifier(issuer: string, clientId: string): CognitoIdTokenVerifier {
  const verifier = JwtVerifier.create(
    {
      issuer,
      audience: clientId,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== "id") throw new Error("not an ID token");
      },
    },
    {
      jwksCache: new SimpleJwksCache({
        fetcher: {
          fetch: async (uri) => {
            const response = await fetch(uri);
            if (!response.ok) throw new Error(`the JWKS answered ${response.status}`);
            return response.arrayBuffer();
          },
        },
      }),
    },
  );
  return { verify: async (token) => (await verifier.verify(token)) as Readonly<Record<string, unknown>> };
}
