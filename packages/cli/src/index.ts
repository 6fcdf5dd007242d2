// The public entry of @weir/cli for programs (the `weir` binary is bin/weir.mjs):
// the local-cluster launcher behind `weir local`, for tests and benchmarks.
export { LocalCluster, startLocalCluster, WORKER_NODE_FLAGS, type LocalClusterOptions } from './local-cluster.ts';
export { ClusterMember, WEIR_BIN, type MemberOutputListener, type OutputStream } from './cluster-member.ts';
export { createCertificateAuthority, generateClusterCertificates, issueCertificate, writeCertificate, type CertificateAuthority, type IssuedCertificate } from './security/cluster-certificates.ts';
