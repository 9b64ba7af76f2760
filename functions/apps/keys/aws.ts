import { S3Client } from "@aws-sdk/client-s3";
import { S3ObjectStore } from "../../adapters/aws/s3-object-store.ts";
import { KeyStore } from "./store.ts";

/**
 * `logsieve keys --bucket`: the keys in a deployment's analytics bucket (`keys/`), AWS credentials from the SDK's
 * usual chain. A module of its own so that command.ts loads the AWS SDK only when `--bucket` is given.
 */
export function s3KeyStore(bucket: string): KeyStore {
  return new KeyStore(new S3ObjectStore({ client: new S3Client({}), bucket }));
}
