// How to reach S3-compatible object storage: endpoint, region and addressing
// style. No credentials: those come from the standard AWS environment
// variables or credentials file of each process, never from the job graph,
// deployments or logs.
import { z } from 'zod';

/** The S3 connection settings a cluster's coordinators and workers share (carried in task deployments). */
export const s3SettingsSchema = z.object({
  /** Endpoint URL of an S3-compatible server (MinIO, SeaweedFS, Ceph...); unset: AWS S3 of the region. */
  endpoint: z.string().optional(),
  /** The region to sign requests for; unset: AWS_REGION, else us-east-1. */
  region: z.string().optional(),
  /** Address buckets in the path (`http://endpoint/bucket/key`), as most S3-compatible servers need. */
  forcePathStyle: z.boolean().optional(),
});
export type S3Settings = z.infer<typeof s3SettingsSchema>;

/** Where requests go, for error messages: the endpoint, or AWS S3 in the region. */
export function describeS3Endpoint(settings: S3Settings): string {
  return settings.endpoint ?? `AWS S3 (${settings.region ?? process.env.AWS_REGION ?? 'us-east-1'})`;
}
