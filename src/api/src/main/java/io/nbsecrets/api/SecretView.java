package io.nbsecrets.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.nbsecrets.store.SecretMetadata;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the API shows about a secret: its metadata and where it is used, never its value.
 *
 * @param lastUsedAt when a session last took a snapshot of it (any version); absent when never
 *     since it was created
 * @param usedBy the sessions whose snapshot holds its current version (not marked stale), sorted;
 *     absent when not known (the API does not see the sessions yet)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SecretView(
    String name,
    long version,
    Instant createdAt,
    Instant updatedAt,
    Instant lastUsedAt,
    List<SessionRef> usedBy) {

  /** A session, by namespace and name. */
  public record SessionRef(String namespace, String name) {}

  /**
   * The view of {@code metadata}, given the user's usage record and the sessions' uses (empty: not
   * known). A usage time before the secret was created belongs to an earlier secret of that name.
   */
  static SecretView of(
      SecretMetadata metadata,
      Map<String, Instant> lastUsed,
      Optional<List<SessionUsage.Use>> uses) {
    Instant used = lastUsed.get(metadata.name());
    if (used != null && used.isBefore(metadata.createdAt())) {
      used = null;
    }
    // Versions start again at 1 after a delete, so a session's version number alone may name an
    // earlier secret of this name: no session holds this one unless one took it since it was
    // created (lastUsedAt).
    boolean takenSinceCreated = used != null;
    List<SessionRef> usedBy =
        uses.map(
                all ->
                    all.stream()
                        .filter(u -> u.secret().equals(metadata.name()))
                        .filter(u -> takenSinceCreated)
                        .filter(u -> u.version() == metadata.version() && !u.stale())
                        .map(u -> new SessionRef(u.namespace(), u.session()))
                        .distinct()
                        .sorted(
                            Comparator.comparing(SessionRef::namespace)
                                .thenComparing(SessionRef::name))
                        .toList())
            .orElse(null);
    return new SecretView(
        metadata.name(),
        metadata.version(),
        metadata.createdAt(),
        metadata.updatedAt(),
        used,
        usedBy);
  }
}
