/** `    at fn (file:line:col)` → the file, or undefined for a line that is not a frame. */
function frameFile(line: string): string | undefined {
  return /^\s+at (?:.*\()?(.+?):\d+:\d+\)?$/.exec(line)?.[1];
}

/**
 * The part of a user code failure's stack that is the user's: `cause`'s
 * stack up to the first runtime frame it shares with `catchSite` (a stack
 * taken where the runtime caught it, its first frame being the catching
 * function), minus the frames of the catching file just before those. With
 * source maps on, the frames left name the job's own source files.
 */
export function userStack(cause: Error, catchSite: string): string {
  const lines = (cause.stack ?? `${cause.name}: ${cause.message}`).split('\n');
  const firstFrame = lines.findIndex((l) => frameFile(l) !== undefined);
  if (firstFrame < 0) return lines.join('\n');
  const frames = lines.slice(firstFrame);
  const siteFrames = catchSite.split('\n').filter((l) => frameFile(l) !== undefined);
  // The runtime's callers appear in both stacks with the same line and column.
  const runtimeFrames = new Set(siteFrames.slice(1));
  const shared = frames.findIndex((f) => runtimeFrames.has(f));
  let end = shared < 0 ? frames.length : shared;
  const catcher = siteFrames[0] === undefined ? undefined : frameFile(siteFrames[0]);
  while (end > 1 && catcher !== undefined && frameFile(frames[end - 1]!) === catcher) end--;
  return [...lines.slice(0, firstFrame), ...frames.slice(0, end)].join('\n');
}
