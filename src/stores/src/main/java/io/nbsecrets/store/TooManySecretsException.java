package io.nbsecrets.store;

/** Creating a secret would exceed the per-user limit. */
public class TooManySecretsException extends StoreException {
  private static final long serialVersionUID = 1L;

  public TooManySecretsException(String user, int max) {
    super(
        "user "
            + user
            + " already has the maximum of "
            + io.nbsecrets.util.Counts.of(max, "secret"));
  }
}
