package io.nbsecrets.store;

/** A record found by a whole-store scan: its owner and the record. */
public record ScannedSecret(String user, StoredSecret secret) {

  /** Never prints the sealed value. */
  @Override
  public String toString() {
    return "ScannedSecret{user=" + user + ", " + secret + "}";
  }
}
