package io.nbsecrets.store;

import java.time.Instant;

/** What may be shown about a secret: never its value. */
public record SecretMetadata(String name, long version, Instant createdAt, Instant updatedAt) {}
