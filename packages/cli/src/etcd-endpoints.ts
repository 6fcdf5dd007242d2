// Reading a list of etcd client URLs from a flag or variable.

/** Splits a comma-separated list of etcd URLs. */
export function etcdEndpoints(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
