package io.nbsecrets.store;

import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;

/** The merge rule of a user's usage record, shared by the stores that keep it as one object. */
final class Usage {
  private Usage() {}

  /**
   * {@code stored} with {@code names} used at {@code at}: a later stored time is kept, and only the
   * {@link SecretStore#MAX_USAGE_ENTRIES} most recently used names remain (ties by name).
   */
  static Map<String, Instant> merge(
      Map<String, Instant> stored, Collection<String> names, Instant at) {
    Map<String, Instant> merged = new TreeMap<>(stored);
    for (String name : names) {
      merged.merge(name, at, (was, now) -> was.isAfter(now) ? was : now);
    }
    if (merged.size() <= SecretStore.MAX_USAGE_ENTRIES) {
      return merged;
    }
    Map<String, Instant> kept = new TreeMap<>();
    merged.entrySet().stream()
        .sorted(
            Map.Entry.<String, Instant>comparingByValue(Comparator.reverseOrder())
                .thenComparing(Map.Entry.comparingByKey()))
        .limit(SecretStore.MAX_USAGE_ENTRIES)
        .forEach(e -> kept.put(e.getKey(), e.getValue()));
    return kept;
  }

  /** Whether {@code merge} would change nothing (so a write can be skipped). */
  static boolean covers(Map<String, Instant> stored, Collection<String> names, Instant at) {
    return names.stream().allMatch(n -> stored.containsKey(n) && !stored.get(n).isBefore(at));
  }
}
