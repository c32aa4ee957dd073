package io.nbsecrets.cli;

/**
 * A subcommand that another jar adds to {@link Main}: the dev assembly adds {@code dev} this way,
 * so the product jar the image ships has no {@code dev} and none of its fakes. An implementation is
 * a picocli {@code @Command} with a public no-argument constructor, listed in {@code
 * META-INF/services/io.nbsecrets.cli.PluggedCommand}.
 */
public interface PluggedCommand {}
