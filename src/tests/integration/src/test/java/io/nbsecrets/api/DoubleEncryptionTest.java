package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nbsecrets.crypto.CryptoException;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.store.StoredSecret;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the API stores is encrypted twice, and each layer needs its own key. */
class DoubleEncryptionTest {
  static final String VALUE = "s3cr3t-value-0123456789";
  static ApiFixture f;
  static StoredSecret record;
  static String userKey;

  @BeforeAll
  static void storeOne() {
    f = new ApiFixture();
    assertThat(f.put("TOKEN", f.userToken("dora"), VALUE).status()).isEqualTo(201);
    record = f.store.get("dora", List.of("TOKEN")).get("TOKEN");
    userKey = f.userKeys.find("dora").orElseThrow();
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  static SessionKeyRing ring() {
    return SessionKeyRing.ofRsa(List.of(ApiFixture.SESSION_KEYS.getPrivate()));
  }

  @Test
  void bothKeysTogetherGiveTheValueBack() {
    byte[] inner = Envelope.open(ring(), "dora", "TOKEN", record.sealed());
    byte[] value = Fernet.fromKey(userKey).decrypt(new String(inner, StandardCharsets.US_ASCII));
    assertThat(new String(value, StandardCharsets.UTF_8)).isEqualTo(VALUE);
  }

  @Test
  void theStoreHoldsNeitherTheValueNorTheUserKey() {
    assertThat(record.sealed()).doesNotContain(VALUE).doesNotContain(userKey);
    String wrapped = f.store.getUserKey("dora").orElseThrow();
    assertThat(wrapped).isNotEqualTo(userKey).doesNotContain(userKey);
  }

  @Test
  void theSessionPrivateKeyAloneGivesOnlyTheInnerCiphertext() {
    String inner =
        new String(
            Envelope.open(ring(), "dora", "TOKEN", record.sealed()), StandardCharsets.US_ASCII);
    assertThat(inner).doesNotContain(VALUE);
    // A Fernet token (version byte 0x80, base64url: "gAAAAA..."), not the value.
    assertThat(inner).startsWith("gAAAAA");
    // Without the user key, no other key opens it.
    assertThatThrownBy(() -> Fernet.fromKey(Fernet.generateKey()).decrypt(inner))
        .isInstanceOf(CryptoException.class);
  }

  @Test
  void theUserKeyAloneOpensNothing() {
    assertThatThrownBy(() -> Fernet.fromKey(userKey).decrypt(record.sealed()))
        .isInstanceOf(CryptoException.class);
    // Another session key pair cannot remove the outer layer.
    SessionKeyRing otherRing = SessionKeyRing.ofRsa(List.of(RsaKeys.generate(2048).getPrivate()));
    assertThatThrownBy(() -> Envelope.open(otherRing, "dora", "TOKEN", record.sealed()))
        .isInstanceOf(CryptoException.class);
  }

  @Test
  void theRecordIsBoundToItsOwnerAndName() {
    assertThatThrownBy(() -> Envelope.open(ring(), "eve", "TOKEN", record.sealed()))
        .isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> Envelope.open(ring(), "dora", "OTHER", record.sealed()))
        .isInstanceOf(CryptoException.class);
  }
}
