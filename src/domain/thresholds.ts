/** The numbers the lifetime measurements share: warm-up, the shortest trend, censoring at the limit. */

/** The first minutes of a lifetime are warm-up (caches, JIT, pools), not growth. */
export const WARMUP_SECONDS = 15 * 60;
/** A lifetime shorter than this (after warm-up) cannot show a trend. */
export const MIN_TREND_SECONDS = 20 * 60;
/** Usage at or above this share of the limit is censored: the real demand was at least that. */
export const CENSOR_SHARE = 0.97;
