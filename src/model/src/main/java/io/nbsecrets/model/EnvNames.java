package io.nbsecrets.model;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rule for the environment variable names a secret may be exported under, shared by the CRD
 * schema, the operator and the init step: a POSIX name (letters, digits and '_', not starting with
 * a digit) of at most {@value #MAX_LENGTH} characters, outside the prefix {@value #RESERVED_PREFIX}
 * that nbsecrets keeps for its own variables (the launcher's {@code NBSECRETS_ENV_FILE}).
 */
public final class EnvNames {
  public static final int MAX_LENGTH = 128;
  public static final String PATTERN = "^[A-Za-z_][A-Za-z0-9_]{0,127}$";
  public static final String RESERVED_PREFIX = "NBSECRETS_";

  /** The CEL rule the CRD adds to {@link #PATTERN}. */
  public static final String CEL_RULE = "!self.startsWith('" + RESERVED_PREFIX + "')";

  private static final Pattern NAME = Pattern.compile(PATTERN);

  private EnvNames() {}

  /** Why {@code name} is not a name a secret may be exported under, or empty when it is. */
  public static Optional<String> problem(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      return Optional.of(
          "is not an environment variable name (1 to "
              + MAX_LENGTH
              + " letters, digits and '_', not starting with a digit)");
    }
    if (name.startsWith(RESERVED_PREFIX)) {
      return Optional.of("begins with " + RESERVED_PREFIX + ", which nbsecrets keeps for itself");
    }
    return Optional.empty();
  }

  public static boolean isValid(String name) {
    return problem(name).isEmpty();
  }
}
