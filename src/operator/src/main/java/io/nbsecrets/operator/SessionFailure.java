package io.nbsecrets.operator;

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
}
