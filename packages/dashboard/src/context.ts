/**
 * What every route group is given: the store, the control, the live hub
 * and the matrix cache. Routes depend on the Store and CampaignControl
 * interfaces only, so one set of routes serves the embedded store and Redis.
 */
import type { Store, StrategyResolver } from '@pcfarm/farm';
import type { CampaignControl } from './control.js';
import type { LiveHub } from './live.js';
import type { MatrixCache } from './matrix.js';
import type { RetestCache } from './retests.js';

export interface RouteContext {
  store: Store;
  control: CampaignControl;
  hub: LiveHub;
  matrix: MatrixCache;
  /** A findings diff's re-tests, bounded like the matrix. */
  retests: RetestCache;
  /** Finds a campaign's strategy file on this machine (its recorded path, or the strategy directories), or throws ENOSTRATEGYFILE. */
  strategies: StrategyResolver;
  /** The token changes need, when they need one. */
  token: string | undefined;
  /** Whether requests that change anything need a token (for the page to ask for one). */
  tokenRequired: boolean;
  /** Campaigns are another process's to change: create, stop and resume answer 409. */
  readOnly: boolean;
  /** Epoch-millisecond clock. */
  now: () => number;
}

/** Route config: a POST that changes nothing (a replay, signing in), so it needs no token. */
export interface RouteFlags {
  readOnly?: boolean;
}
