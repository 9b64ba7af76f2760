import { S3Client } from "@aws-sdk/client-s3";
import { S3ObjectStore } from "../../adapters/aws/s3-object-store.ts";
import { AWS_ENV, processEnvironment, requireEnv } from "../../runtime/env.ts";
import { KeyStore } from "../keys/store.ts";
import { bearerOf } from "./auth.ts";

/**
 * The Lambda authorizer in front of `POST /api/v2/query` (HTTP API, REQUEST type, simple responses, identity source
 * the Authorization header, answers cached by API Gateway for a minute): the Bearer key's SHA-256 is looked up in
 * `keys/` of the analytics bucket (`logsieve keys create --bucket …`); a key that is known and not revoked is let
 * through with its site, role and id as the context the stats-api function reads (./auth.ts, authorizerAuth). A
 * revoked key stops working within the cache's minute. Nothing of the key is logged.
 */

interface AuthorizerEvent {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly identitySource?: readonly string[];
}

interface AuthorizerResult {
  readonly isAuthorized: boolean;
  readonly context?: Readonly<Record<string, string>>;
}

let store: KeyStore | undefined;

function keyStore(): KeyStore {
  store ??= new KeyStore(
    new S3ObjectStore({
      client: new S3Client({}),
      bucket: requireEnv(processEnvironment(), AWS_ENV.analyticsBucket),
    }),
  );
  return store;
}

/** The authorizer's decision for one request (exported for the tests, with the store given). */
export async function authorize(event: AuthorizerEvent, keys: KeyStore): Promise<AuthorizerResult> {
  const header = event.headers?.authorization ?? event.identitySource?.[0];
  const presented = bearerOf(header);
  if (presented === null) return { isAuthorized: false };
  const record = await keys.verify(presented);
  if (record === null) return { isAuthorized: false };
  return { isAuthorized: true, context: { site: record.site, role: record.role, keyId: record.id } };
}

export const handler = (event: AuthorizerEvent): Promise<AuthorizerResult> => authorize(event, keyStore());
