package io.nbsecrets.crypto;

import java.security.KeyPair;

/** 2048-bit key pairs shared by the tests (generated once per JVM, for speed). */
final class TestKeys {
  static final KeyPair A = RsaKeys.generate(RsaKeys.MIN_BITS);
  static final KeyPair B = RsaKeys.generate(RsaKeys.MIN_BITS);

  private TestKeys() {}
}
