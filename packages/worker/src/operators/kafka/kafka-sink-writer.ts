import type { TopicMessages } from './kafka-producer-internals.ts';

/** How the Kafka sink talks to Kafka, per delivery guarantee. */
export interface KafkaSinkWriter {
  /** Connects; a transactional writer also finishes what earlier attempts left. */
  open(): Promise<void>;
  /** Sends one batch (called one batch at a time, in order). */
  send(batch: TopicMessages[]): Promise<void>;
  /** After every batch before the barrier was sent: the operator's list state (a transactional writer pre-commits). */
  snapshot(checkpointId: number): Promise<unknown[]>;
  /** Checkpoint `checkpointId` completed: commit what was pre-committed up to it. */
  commit(checkpointId: number): Promise<void>;
  close(): Promise<void>;
}
