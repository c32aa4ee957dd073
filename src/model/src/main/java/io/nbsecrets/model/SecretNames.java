package io.nbsecrets.model;

import java.util.Optional;

/**
 * The one rule for secret names and file names, shared by the CRD schema, the secrets API, the
 * operator and the init command: 1 to 128 of letters, digits, '.', '_' and '-', not '.' or '..',
 * and not beginning with '..'. Such a name is a safe file name and a valid key of a Kubernetes
 * Secret (the API server refuses Secret keys that begin with '..', which the kubelet uses for its
 * own atomic-writer files).
 */
public final class SecretNames {
  public static final int MAX_LENGTH = 128;
  public static final String PATTERN = "^[A-Za-z0-9._-]{1,128}$";

  /**
   * The CEL rule the CRD adds to {@link #PATTERN} (Kubernetes' regular expressions have no
   * look-ahead).
   */
  public static final String CEL_RULE = "self != '.' && !self.startsWith('..')";

  private SecretNames() {}

  /** The longest key of a Secret or ConfigMap a Kubernetes API server takes. */
  public static final int MAX_SECRET_KEY_LENGTH = 253;

  /** Why {@code name} is not a valid name, or empty when it is. Never echoes a long input whole. */
  public static Optional<String> problem(String name) {
    return problem(name, MAX_LENGTH);
  }

  /**
   * Why {@code key} is not a key a Kubernetes API server takes in a Secret (its rule for data keys:
   * the name rule, up to {@value #MAX_SECRET_KEY_LENGTH} characters), or empty.
   */
  public static Optional<String> secretKeyProblem(String key) {
    return problem(key, MAX_SECRET_KEY_LENGTH);
  }

  private static Optional<String> problem(String name, int maxLength) {
    if (name == null || name.isEmpty()) {
      return Optional.of("name must not be empty");
    }
    if (name.length() > maxLength) {
      return Optional.of("name is longer than " + maxLength + " characters");
    }
    if (!allowedCharacters(name)) {
      return Optional.of("name may contain only letters, digits, '.', '_' and '-'");
    }
    if (name.equals(".") || name.startsWith("..")) {
      return Optional.of(
          "name must not be '.' or '..', nor begin with '..' (Kubernetes refuses such Secret keys)");
    }
    return Optional.empty();
  }

  /**
   * Whether every character is a letter, a digit, '.', '_' or '-' (ASCII). A loop, not a regular
   * expression: the init step checks every name in a fresh JVM, where a pattern's first matches run
   * uncompiled.
   */
  private static boolean allowedCharacters(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean allowed =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == '-';
      if (!allowed) {
        return false;
      }
    }
    return true;
  }

  public static boolean isValid(String name) {
    return problem(name).isEmpty();
  }
}
