package io.nbsecrets.model;

import java.util.List;
import java.util.Optional;

/**
 * Where secret files may be mounted: a normalized absolute path that is neither a system directory
 * nor inside one, nor {@code /tmp} itself. The same rule is in the CRD (as CEL, {@link #CEL_RULE})
 * and here, because the operator must not trust that the API server enforced the schema.
 */
public final class MountPaths {
  public static final String DEFAULT = "/secrets";

  /** Directories that must never be shadowed by, or contain, the secrets volume. */
  public static final List<String> SYSTEM_DIRECTORIES =
      List.of(
          "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/root", "/run",
          "/sbin", "/sys", "/usr", "/var");

  public static final String CEL_RULE =
      "self.startsWith('/') && self != '/' && !self.endsWith('/') && !self.contains('//')"
          + " && !self.contains('/./') && !self.contains('/../') && !self.endsWith('/.')"
          + " && !self.endsWith('/..') && self != '/tmp'"
          + " && !['/bin','/boot','/dev','/etc','/lib','/lib32','/lib64','/proc','/root','/run',"
          + "'/sbin','/sys','/usr','/var'].exists(d, self == d || self.startsWith(d + '/'))";

  private MountPaths() {}

  /** Why {@code path} is not an acceptable mount path, or empty when it is. */
  public static Optional<String> problem(String path) {
    if (path == null || path.isEmpty()) {
      return Optional.of("mountPath must not be empty");
    }
    if (path.length() > 255) {
      return Optional.of("mountPath is longer than 255 characters");
    }
    if (!path.startsWith("/")) {
      return Optional.of("mountPath must be absolute: " + path);
    }
    if (path.equals("/")) {
      return Optional.of("mountPath must not be /");
    }
    if (path.endsWith("/")
        || path.contains("//")
        || path.contains("/./")
        || path.contains("/../")
        || path.endsWith("/.")
        || path.endsWith("/..")) {
      return Optional.of("mountPath must be a normalized path: " + path);
    }
    for (String dir : SYSTEM_DIRECTORIES) {
      if (path.equals(dir) || path.startsWith(dir + "/")) {
        return Optional.of("mountPath must not be the system directory " + dir + " or inside it");
      }
    }
    if (path.equals("/tmp")) {
      // The init step has its own writable /tmp, and the session needs one: a second volume at
      // the same path is refused by the API server.
      return Optional.of("mountPath must not be /tmp itself (a folder inside it is fine)");
    }
    if (path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      return Optional.of("mountPath must not contain control characters");
    }
    return Optional.empty();
  }
}
