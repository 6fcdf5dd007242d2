/**
 * A channel joins one producer subtask to one consumer subtask within one job
 * attempt. Its id names all of that, so frames of an old attempt find no
 * receiver and are dropped.
 */
export function channelId(jobId: string, attempt: number, producerVertex: string, producerIndex: number, consumerVertex: string, consumerIndex: number): string {
  return `${jobId}/${attempt}/${producerVertex}#${producerIndex}>${consumerVertex}#${consumerIndex}`;
}

/** The job and attempt a channel id belongs to. */
export function channelJobAttempt(channel: string): { jobId: string; attempt: number } {
  const [jobId = '', attempt = '-1'] = channel.split('/', 2);
  return { jobId, attempt: Number(attempt) };
}
