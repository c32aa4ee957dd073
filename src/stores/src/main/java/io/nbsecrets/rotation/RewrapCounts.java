package io.nbsecrets.rotation;

import java.util.EnumMap;
import java.util.Map;

/** How many records of a pass ended in each {@link Outcome}. Not thread-safe. */
public final class RewrapCounts {

  /** What happened to one record. */
  public enum Outcome {
    /** Re-wrapped under the new key. */
    REWRAPPED,
    /** Already under the new key. */
    CURRENT,
    /** Deleted, or replaced under the new key by a put, while the rotation ran. */
    CHANGED,
    /** Kept changing under concurrent puts; left for the next pass. */
    PENDING,
    /**
     * Unreadable before the rotation (corrupt, or under a key no longer held); left as it is. A
     * rotation never makes a readable record unreadable.
     */
    UNREADABLE;

    /** The metric tag value. */
    public String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);

  public void add(Outcome outcome) {
    counts.merge(outcome, 1L, Long::sum);
  }

  public void addAll(RewrapCounts other) {
    other.counts.forEach((k, v) -> counts.merge(k, v, Long::sum));
  }

  public long get(Outcome outcome) {
    return counts.getOrDefault(outcome, 0L);
  }

  public long total() {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  /** A pass that needs no further pass: nothing was re-wrapped and nothing is pending. */
  public boolean clean() {
    return get(Outcome.REWRAPPED) == 0 && get(Outcome.PENDING) == 0;
  }

  public RewrapCounts copy() {
    RewrapCounts copy = new RewrapCounts();
    copy.addAll(this);
    return copy;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    for (Outcome o : Outcome.values()) {
      if (s.length() > 0) {
        s.append(", ");
      }
      s.append(get(o)).append(' ').append(o.tag());
    }
    return s.toString();
  }
}
