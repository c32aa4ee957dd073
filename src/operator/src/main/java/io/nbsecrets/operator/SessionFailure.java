package io.nbsecrets.operator;

import java.util.List;
import java.util.Optional;

/**
 * Why a session cannot get its secrets or workload right now. The reason is a CamelCase condition
 * reason; the message names the problem (secret names, users, paths) and never holds a value.
 */
public class SessionFailure extends Exception {
  private static final long serialVersionUID = 1L;

  /** The condition that the failure makes False. */
  public enum Scope {
    SECRETS,
    WORKLOAD
  }

  private final Reason reason;
  private final Scope scope;

  /** The snapshot a pass took before it failed on its workload; null when it took none. */
  private transient SecretsTaken secretsTaken;

  /** A snapshot taken in the pass: its manifest. */
  record SecretsTaken(List<Snapshot.ManifestEntry> manifest) {}

  public SessionFailure(Scope scope, Reason reason, String message) {
    this(scope, reason, message, null);
  }

  public SessionFailure(Scope scope, Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.scope = scope;
    this.reason = reason;
  }

  /** The reason as Kubernetes shows it (see {@link Reason#value()}). */
  public String reason() {
    return reason.value();
  }

  /** The reason, typed: what conditions and Events are written with. */
  public Reason reasonCode() {
    return reason;
  }

  public Scope scope() {
    return scope;
  }

  /**
   * This failure, noting that the pass took the session's snapshot before it: SecretsReady then
   * says so, instead of an earlier pass's secrets failure.
   */
  SessionFailure afterSecretsTaken(SecretsTaken taken) {
    this.secretsTaken = taken;
    return this;
  }

  /** The snapshot the pass took before it failed, if it took one. */
  Optional<SecretsTaken> secretsTaken() {
    return Optional.ofNullable(secretsTaken);
  }
}
