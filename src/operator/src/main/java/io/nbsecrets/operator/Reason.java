package io.nbsecrets.operator;

/**
 * Every reason the operator gives, in a condition or an Event, about a session: one closed list
 * instead of strings spread over the code, so a new reason is a deliberate change here (docs and
 * alerts key on them). The {@link #value()} is the CamelCase string Kubernetes shows; it never
 * changes for an existing reason.
 */
public enum Reason {
  // The session is fine (or on its way).
  SNAPSHOT_TAKEN("SnapshotTaken"),
  SECRETS_MOUNTED("SecretsMounted"),
  /** A live session's Secret was updated with the store's new values. */
  SECRETS_REFRESHED("SecretsRefreshed"),
  STALE_CHECK_FAILED("StaleCheckFailed"),
  SESSION_READY("SessionReady"),
  POD_READY("PodReady"),
  POD_NOT_READY("PodNotReady"),
  WORKLOAD_NOT_CREATED("WorkloadNotCreated"),
  POD_CREATION_FAILED("PodCreationFailed"),
  // The spec or its namespace is wrong.
  INVALID_SPEC("InvalidSpec"),
  INVALID_MOUNT_PATH("InvalidMountPath"),
  /** The spec holds fields this operator does not know or cannot read. */
  UNREADABLE_SPEC("UnreadableSpec"),
  NAMESPACE_NOT_BOUND("NamespaceNotBound"),
  /** Secrets are exported as environment variables, and the command to launch is not given. */
  COMMAND_REQUIRED("CommandRequired"),
  /** Two secrets, or a secret and a plain variable, would be the same environment variable. */
  ENV_CLASH("EnvClash"),
  USER_MISMATCH("UserMismatch"),
  // The selected secrets cannot be snapshotted.
  SECRET_NOT_FOUND("SecretNotFound"),
  SECRET_TOO_LARGE("SecretTooLarge"),
  /** A secret exported as an environment variable is too large to be one. */
  ENV_VALUE_TOO_LARGE("EnvValueTooLarge"),
  SECRET_UNREADABLE("SecretUnreadable"),
  UNKNOWN_SESSION_KEY("UnknownSessionKey"),
  STORE_UNAVAILABLE("StoreUnavailable"),
  STORE_ERROR("StoreError"),
  // The workload cannot be made.
  API_CA_BUNDLE_MISSING("ApiCaBundleMissing"),
  NAME_TAKEN("NameTaken"),
  /**
   * An object of the session's name is left by an earlier session of that name (deleted and made
   * again): the operator deletes it and waits until it is gone, instead of adopting it.
   */
  EARLIER_SESSION_LEFTOVERS("EarlierSessionLeftovers"),
  RECONCILE_ERROR("ReconcileError");

  private final String value;

  Reason(String value) {
    this.value = value;
  }

  /** The reason as Kubernetes shows it. */
  public String value() {
    return value;
  }

  @Override
  public String toString() {
    return value;
  }
}
