package io.nbsecrets.operator;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The secrets a session receives, taken at one moment: per secret its name, the file it becomes,
 * the environment variable it is also exported as (or none), the version taken, and its
 * once-encrypted value (a Fernet token under the user's key). {@code live}: the session's files
 * follow the store ({@code refresh: Live}), so its Secret is updated in place rather than replaced.
 */
public record Snapshot(String selectionHash, List<Entry> entries, boolean live) {

  /** A snapshot of a session whose values are taken when it starts ({@code refresh: OnRestart}). */
  public Snapshot(String selectionHash, List<Entry> entries) {
    this(selectionHash, entries, false);
  }

  /**
   * One secret. {@code token} is ciphertext, yet still never logged. {@code created}: when the
   * store's record was created ({@link #createdMillis}), which tells a secret deleted and stored
   * again (whose versions start again at 1) from the one taken; null when not known.
   */
  public record Entry(
      String name, String fileName, long version, String token, String env, Long created) {
    public Entry(String name, String fileName, long version, String token) {
      this(name, fileName, version, token, null, null);
    }

    public Entry(String name, String fileName, long version, String token, String env) {
      this(name, fileName, version, token, env, null);
    }

    @Override
    public String toString() {
      return "Entry{name="
          + name
          + ", fileName="
          + fileName
          + ", version="
          + version
          + (env == null ? "" : ", env=" + env)
          + (created == null ? "" : ", created=" + created)
          + "}";
    }
  }

  /** The manifest: what the snapshot holds, without values. */
  public List<ManifestEntry> manifest() {
    return entries.stream()
        .map(e -> new ManifestEntry(e.name(), e.fileName(), e.version(), e.env(), e.created()))
        .toList();
  }

  /**
   * A store record's creation time as the snapshot keeps it: milliseconds since the epoch (stores
   * keep finer or coarser times; both sides of a comparison go through this); null when unknown.
   */
  public static Long createdMillis(java.time.Instant createdAt) {
    return createdAt == null ? null : createdAt.toEpochMilli();
  }

  /**
   * A manifest line: safe to put in annotations, env vars and status. {@code env} is left out of
   * the JSON when null, so the manifest of a snapshot without variables — and the hash that names
   * its Secret — is what it was before variables existed: an upgrade rolls no session. {@code
   * created} likewise: a snapshot taken before it was kept has none, is compared by version alone,
   * and keeps its Secret's name.
   */
  public record ManifestEntry(
      String name,
      String file,
      long version,
      @JsonInclude(JsonInclude.Include.NON_NULL) String env,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long created) {
    public ManifestEntry(String name, String file, long version) {
      this(name, file, version, null, null);
    }

    public ManifestEntry(String name, String file, long version, String env) {
      this(name, file, version, env, null);
    }
  }
}
