package io.nbsecrets.store;

/**
 * How every store names a record and a user key in its messages, so that errors read the same
 * whatever the backend (names and users only, never values).
 */
final class Descriptions {
  private Descriptions() {}

  /** "secret NAME of user USER". */
  static String secret(String user, String name) {
    return "secret " + name + " of user " + user;
  }

  /** "the key of user USER". */
  static String userKey(String user) {
    return "the key of user " + user;
  }
}
