package io.nbsecrets.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Who presented a bearer token, as the API server's TokenReview reports it: {@code user.username},
 * {@code user.uid}, {@code user.groups} and {@code user.extra}. Never holds the token.
 */
public record Identity(
    String username, String uid, List<String> groups, Map<String, List<String>> extra) {

  public Identity {
    Objects.requireNonNull(username, "username");
    groups = groups == null ? List.of() : List.copyOf(groups);
    if (extra == null) {
      extra = Map.of();
    } else {
      Map<String, List<String>> copy = new LinkedHashMap<>();
      extra.forEach((k, v) -> copy.put(k, v == null ? List.of() : List.copyOf(v)));
      extra = Map.copyOf(copy);
    }
  }

  /** An identity with only a user name (for example from a static dev token). */
  public static Identity ofUser(String username) {
    return new Identity(username, null, List.of(), Map.of());
  }

  /** The single value of {@code extra[key]}; empty when it is absent or has several values. */
  public Optional<String> singleExtra(String key) {
    List<String> values = extra.get(key);
    return values != null && values.size() == 1
        ? Optional.ofNullable(values.get(0))
        : Optional.empty();
  }
}
