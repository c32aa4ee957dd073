package io.nbsecrets.model;

/**
 * When a session's secret files take the store's new values: {@link #OnRestart} (the default) or
 * {@link #Live}. The constants are named as the CRD spells its values.
 */
public enum Refresh {
  /**
   * Values are taken when the session starts; a replaced or deleted secret is marked stale, and a
   * new selection or the refresh annotation rolls the pod.
   */
  OnRestart,
  /**
   * The files of the running session follow replacements and deletions in the store, atomically per
   * file, without a restart; environment variables follow on restart.
   */
  Live
}
