package io.nbsecrets.store;

/** A user's key as stored: wrapped under the platform key. */
public record WrappedUserKey(String user, String wrappedKey) {

  /** Never prints the wrapped key. */
  @Override
  public String toString() {
    return "WrappedUserKey{user=" + user + "}";
  }
}
