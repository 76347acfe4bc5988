/**
 * What was the CLI's grab bag, now split: io.ts, replay.ts, first-failure.ts,
 * list.ts, usage.ts, format.ts, limits.ts. Only the Io type is left here,
 * for dashboard-command.ts until it imports it from io.js.
 */
export type { Io } from './io.js';
