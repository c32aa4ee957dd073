package io.nbsecrets.operator;

import java.util.List;

/**
 * The secrets a session receives, taken at one moment: per secret its name, the file it becomes,
 * the version taken, and its once-encrypted value (a Fernet token under the user's key).
 */
public record Snapshot(String selectionHash, List<Entry> entries) {

  /** One secret. {@code token} is ciphertext, yet still never logged. */
  public record Entry(String name, String fileName, long version, String token) {
    @Override
    public String toString() {
      return "Entry{name=" + name + ", fileName=" + fileName + ", version=" + version + "}";
    }
  }

  /** The manifest: what the snapshot holds, without values. */
  public List<ManifestEntry> manifest() {
    return entries.stream()
        .map(e -> new ManifestEntry(e.name(), e.fileName(), e.version()))
        .toList();
  }

  /** A manifest line: safe to put in annotations, env vars and status. */
  public record ManifestEntry(String name, String file, long version) {}
}
