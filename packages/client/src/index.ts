export { WeirClient, DEFAULT_COORDINATOR_ADDRESS, type WeirClientOptions } from './weir-client.ts';
export { prepareJob, type PreparedJob } from './bundle-job.ts';
