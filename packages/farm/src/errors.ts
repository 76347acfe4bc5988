/**
 * An operational error of the farm: a stable code a program can test and a
 * message a user can act on. Model failures are never FarmErrors; they are
 * results.
 */
export class FarmError extends Error {
  readonly code: FarmErrorCode;

  constructor(code: FarmErrorCode, message: string) {
    super(message);
    this.name = 'FarmError';
    this.code = code;
  }
}

export type FarmErrorCode =
  /** A campaign spec that cannot run: unknown strategy, a limit out of range, … */
  | 'EBADCAMPAIGN'
  /** No campaign with that id. */
  | 'ENOCAMPAIGN'
  /** A results file that does not parse: reported, never overwritten. */
  | 'EBADRESULTS'
  /** A batch or minimization job whose payload is malformed. */
  | 'EBADJOB'
  /** A job made by another MODEL_VERSION: this worker would run it differently. */
  | 'EMODELVERSION'
  /** A results directory another live process has open for writing. */
  | 'ELOCKED'
  /** A campaign in a state that does not allow the request (e.g. resume a finished one). */
  | 'ESTATE'
  /** Redis cannot be reached: the message names the URL. */
  | 'EREDIS'
  /** Redis refused the password (or asked for one that was not given): the message names the URL, without the password. */
  | 'EREDISAUTH'
  /** The farm contradicted itself (a minimized seed that fails otherwise than its bucket): kept and shown as a farm bug, never counted. */
  | 'EFARMBUG'
  /** A strategy file that does not read, compile or load: the message names file:line. */
  | 'ESTRATEGYFILE'
  /** A job for a strategy file this worker does not have (by its source hash): another worker takes it. */
  | 'ENOSTRATEGYFILE';
