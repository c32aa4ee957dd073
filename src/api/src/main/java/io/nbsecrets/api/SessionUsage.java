package io.nbsecrets.api;

import java.util.List;
import java.util.Optional;

/**
 * Which sessions mount a user's secrets, read from the sessions' status (the operator's record of
 * what it mounted), which is the truth and costs no store write.
 */
public interface SessionUsage {

  /**
   * One session's snapshot holding {@code version} of secret {@code secret}; {@code stale} when the
   * operator found the stored secret replaced or deleted since (versions start again at 1 after a
   * delete, so a number alone does not say the snapshot holds the current secret).
   */
  record Use(String secret, long version, boolean stale, String namespace, String session) {}

  /** Not known (no session cache, or it has not synced): callers show no {@code usedBy}. */
  SessionUsage UNKNOWN = user -> Optional.empty();

  /** Every secret of {@code user} that a session mounts, one entry per session and secret. */
  Optional<List<Use>> uses(String user);
}
