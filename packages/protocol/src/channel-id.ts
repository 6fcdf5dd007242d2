// Channel ids: the key of one producer-to-consumer channel of a job attempt.
import { subtaskId } from './subtask-keys.ts';

/**
 * A channel joins one producer subtask to one consumer subtask within one job
 * attempt. Its id names all of that, with the attempt's token (unique even
 * across coordinator restarts, which number attempts from 0 again), so frames
 * and credits of an old attempt find no receiver and are dropped:
 * `<jobId>/<attemptToken>/<producer subtaskId>><consumer subtaskId>`. When
 * more than one edge joins the same two vertices (a stream connected with
 * itself, or a main and a side output into one operator), each edge after the
 * first has a tag of its own (`edgeTag` of the deployments), appended as
 * `#<tag>`, so their channels stay apart.
 */
export function channelId(
  jobId: string,
  attemptToken: string,
  producerVertex: string,
  producerIndex: number,
  consumerVertex: string,
  consumerIndex: number,
  edgeTag?: number,
): string {
  const base = `${jobId}/${attemptToken}/${subtaskId(producerVertex, producerIndex)}>${subtaskId(consumerVertex, consumerIndex)}`;
  return edgeTag ? `${base}#${edgeTag}` : base;
}

/** The job a channel id belongs to. */
export function channelJob(channel: string): string {
  return channel.slice(0, channel.indexOf('/'));
}
