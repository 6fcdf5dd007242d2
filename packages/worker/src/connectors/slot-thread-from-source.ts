// Entry point of a slot thread when the runtime could not be bundled: imports the connector runtimes the worker
// loads (their file URLs in workerData.connectors), registers them, then starts the slot thread.
import { workerData } from 'node:worker_threads';
import { registerConnector } from './connector-registry.ts';

const connectors = ((workerData as { connectors?: unknown } | null)?.connectors ?? []) as string[];
for (const url of connectors) registerConnector(((await import(url)) as { default?: unknown }).default, url);
// Only now does the slot thread listen for its deployment (messages wait until then).
await import('../stream-task/slot-thread.ts');
