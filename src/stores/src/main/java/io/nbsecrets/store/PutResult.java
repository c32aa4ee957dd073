package io.nbsecrets.store;

/** The outcome of {@link SecretStore#put}: the new metadata, and whether the secret was created. */
public record PutResult(SecretMetadata metadata, boolean created) {}
