package io.nbsecrets.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;

/**
 * A user's usage record as the stores that keep it as one object (Kubernetes, Vault) hold it: the
 * merge rule and the JSON form.
 */
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

  /** The stored form of a usage record: a JSON object of name to ISO-8601 time. */
  static ObjectNode toJson(Map<String, Instant> usage) {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    usage.forEach((name, time) -> json.put(name, time.toString()));
    return json;
  }

  /**
   * A usage record read back.
   *
   * @throws IllegalArgumentException naming the field that is not an ISO-8601 time (or when the
   *     node is not an object); callers turn it into their store's refusal
   */
  static Map<String, Instant> fromJson(JsonNode json) {
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException("it is not a JSON object");
    }
    Map<String, Instant> usage = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : json.properties()) {
      try {
        usage.put(e.getKey(), Instant.parse(e.getValue().asText()));
      } catch (DateTimeParseException bad) {
        throw new IllegalArgumentException(
            "its field '" + e.getKey() + "' is not an ISO-8601 time");
      }
    }
    return usage;
  }

  /** Whether {@code merge} would change nothing (so a write can be skipped). */
  static boolean covers(Map<String, Instant> stored, Collection<String> names, Instant at) {
    return names.stream().allMatch(n -> stored.containsKey(n) && !stored.get(n).isBefore(at));
  }
}
