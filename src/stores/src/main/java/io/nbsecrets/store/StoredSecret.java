package io.nbsecrets.store;

import java.time.Instant;

/** A stored record: metadata plus the sealed (double-encrypted) value. */
public record StoredSecret(
    String name, long version, Instant createdAt, Instant updatedAt, String sealed) {

  public SecretMetadata metadata() {
    return new SecretMetadata(name, version, createdAt, updatedAt);
  }

  /** Never prints the sealed value, so a record can be logged safely by mistake. */
  @Override
  public String toString() {
    return "StoredSecret{name=" + name + ", version=" + version + "}";
  }
}
