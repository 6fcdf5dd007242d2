import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One message as read back from a topic. */
export interface ConsumedMessage {
  partition: number;
  key: string;
  value: string;
}

/**
 * Every message of `topic` up to its end (for read_committed: the last stable
 * offset, so an open transaction left behind hides what follows it), read
 * with kcat (librdkafka). Not with a kafkajs consumer: kafkajs 2.2.4 filters
 * aborted transactions assuming the broker lists them by first offset, but
 * the broker lists them in the order they were aborted, so a read_committed
 * kafkajs consumer returns records of transactions aborted out of order (as
 * two subtasks recovering at once do): see filterAbortedMessages.js. (The
 * Kafka source filters them itself: operators/kafka/record-batch-decoder.ts.)
 */
export async function readTopic(bootstrap: string, topic: string, options: { readUncommitted?: boolean } = {}): Promise<ConsumedMessage[]> {
  const isolation = options.readUncommitted ? 'read_uncommitted' : 'read_committed';
  const { stdout } = await run('kcat', ['-C', '-b', bootstrap, '-t', topic, '-X', `isolation.level=${isolation}`, '-o', 'beginning', '-e', '-q', '-f', '%p\\t%k\\t%s\\n'], {
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [partition, key, value] = line.split('\t');
      return { partition: Number(partition), key: key!, value: value! };
    });
}
