// The names of every environment variable Weir's processes read, in one
// place. Flags win over them; the CLI documents each next to its flag.

/** Environment variables read by the `weir` command, its coordinator and worker processes, and the logger. */
export const WEIR_ENV = {
  /** host:port of the coordinator (client commands and workers). */
  coordinator: 'WEIR_COORDINATOR',
  /** Port a coordinator listens on. */
  coordinatorPort: 'WEIR_COORDINATOR_PORT',
  /** Where a coordinator or worker keeps its files (artifacts, local state, dead letters). */
  dataDir: 'WEIR_DATA_DIR',
  /** Where checkpoints go (shared by every worker of a cluster). */
  checkpointDir: 'WEIR_CHECKPOINT_DIR',
  /** Comma-separated directories or s3:// prefixes savepoints may go to and restores come from, besides the checkpoint dir and the working directory. */
  savepointRoots: 'WEIR_SAVEPOINT_ROOTS',
  /** Endpoint URL of the S3-compatible server holding `s3://` checkpoint storage and savepoints. */
  s3Endpoint: 'WEIR_S3_ENDPOINT',
  /** Region S3 requests are signed for (else AWS_REGION, else us-east-1). */
  s3Region: 'WEIR_S3_REGION',
  /** `path` or `virtual`: how buckets are addressed on the S3 endpoint. */
  s3AddressingStyle: 'WEIR_S3_ADDRESSING_STYLE',
  /** etcd client URLs, comma-separated (high availability). */
  etcd: 'WEIR_ETCD',
  /** The cluster in etcd that coordinators, workers and client commands belong to. */
  clusterId: 'WEIR_CLUSTER_ID',
  /** Lease TTL of the leader key, whole seconds. */
  leaseTtl: 'WEIR_LEASE_TTL',
  /** The cluster's default restart strategy, in the compact form (`fixed-delay:attempts=3,delay=1s`). */
  restartStrategy: 'WEIR_RESTART_STRATEGY',
  /** Slots of a worker. */
  slots: 'WEIR_SLOTS',
  /** Host name other processes use to reach a worker. */
  advertisedHost: 'WEIR_ADVERTISED_HOST',
  /** Spare slot threads a worker keeps started per job. */
  spareThreads: 'WEIR_SPARE_THREADS',
  /** Connector runtime modules a worker loads into its slot threads, comma-separated. */
  connectors: 'WEIR_CONNECTORS',
  /** `tls` (the default) or `plaintext`: how coordinators and workers connect (security.transport). */
  transport: 'WEIR_TRANSPORT',
  /** PEM file of the cluster CA (security.internalCa). */
  internalCa: 'WEIR_SSL_INTERNAL_CA',
  /** PEM certificate of this process, issued by the cluster CA (security.internalCert). */
  internalCert: 'WEIR_SSL_INTERNAL_CERT',
  /** PEM private key of this process (security.internalKey). */
  internalKey: 'WEIR_SSL_INTERNAL_KEY',
  /** PEM certificate the coordinator presents to clients (security.restCert). */
  restCert: 'WEIR_SSL_REST_CERT',
  /** PEM key of that certificate (security.restKey). */
  restKey: 'WEIR_SSL_REST_KEY',
  /** `tls` or `plaintext`: how the REST API and dashboard are served (security.restTransport). */
  restTransport: 'WEIR_REST_TRANSPORT',
  /** The coordinator's tokens file (security.tokensFile). */
  tokensFile: 'WEIR_TOKENS_FILE',
  /** PEM file of the CA etcd's certificate is issued by (etcd.caFile). */
  etcdCa: 'WEIR_ETCD_CA_FILE',
  /** Client certificate towards etcd (etcd.certFile). */
  etcdCert: 'WEIR_ETCD_CERT_FILE',
  /** Its key (etcd.keyFile). */
  etcdKey: 'WEIR_ETCD_KEY_FILE',
  /** Client commands: the CA to verify the coordinator with (client.caFile, --ca-file). */
  caFile: 'WEIR_CA_FILE',
  /** Client commands: the name the coordinator's certificate carries (client.serverName, --server-name). */
  serverName: 'WEIR_SERVER_NAME',
  /** Client commands: the bearer token (client.token, --token). */
  token: 'WEIR_TOKEN',
  /** The configuration file of `weir coordinator`, `weir worker` and `weir local` (like `--config`). */
  config: 'WEIR_CONFIG',
  /** Log level of every Weir process (pino levels: trace, debug, info, warn, error). */
  logLevel: 'WEIR_LOG_LEVEL',
  /** Format of every Weir process's log lines: json or pretty (default: pretty when stderr is a terminal). */
  logFormat: 'WEIR_LOG_FORMAT',
} as const;

/** The name of one of Weir's environment variables. */
export type WeirEnvName = (typeof WEIR_ENV)[keyof typeof WEIR_ENV];
