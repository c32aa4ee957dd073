package io.nbsecrets.store;

/** The store could not be reached or did not answer; retrying later may succeed. */
public class StoreUnavailableException extends StoreException {
  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
