// The Kafka connector's name in job graphs and the runtime module workers load for it.
import type { ConnectorRef } from '@weir/common';

/** Written into the descriptors of Kafka sources and sinks; a worker without the module fails them, naming it. */
export const KAFKA_CONNECTOR: ConnectorRef = { name: 'kafka', module: '@weir/connector-kafka/runtime' };
