package io.nbsecrets.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nbsecrets.crypto.DataKeyUnwrapper;
import io.nbsecrets.crypto.DataKeyWrapper;
import io.nbsecrets.crypto.IntegrityException;
import io.nbsecrets.crypto.MalformedCiphertextException;
import io.nbsecrets.crypto.UnknownKeyException;
import io.nbsecrets.util.Bytes;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.http.HttpMethod;

/**
 * A Vault Transit key that wraps records' data keys instead of the session RSA key pair (optional;
 * {@code store.vault.transit.key}). The secrets API needs only {@code encrypt}, the operator only
 * {@code decrypt}, and {@code rotate-keys --transit} only {@code rewrap}: Vault's rewrap moves a
 * wrapped data key to the newest key version without anyone outside Vault seeing it. The key
 * material never leaves Vault, so there is no private key in a Kubernetes Secret to protect.
 *
 * <p>In a record ({@code nbs1}, see {@link io.nbsecrets.crypto.Envelope}) the key id is {@code vt-}
 * + the first 16 hex characters of SHA-256 over the length-prefixed mount and key name, and the
 * wrapped data key is the UTF-8 of Transit's ciphertext, {@code vault:v<version>:<base64>}. A
 * record thus names its Transit key version in clear, which a rotation uses to skip records already
 * under the newest version.
 *
 * <p>One request per data key: sealing costs the API one {@code encrypt} per stored value, a
 * snapshot costs the operator one {@code decrypt} per secret. Errors: Vault unreachable, 5xx or 429
 * are {@link StoreUnavailableException}s (the operator retries); a ciphertext Vault refuses
 * (changed, or under a version below {@code min_decryption_version}) is an {@link
 * IntegrityException}.
 */
public final class VaultTransit implements DataKeyWrapper, DataKeyUnwrapper {
  /** The prefix of Transit key ids in records. */
  public static final String KEY_ID_PREFIX = "vt-";

  private static final Pattern CIPHERTEXT =
      Pattern.compile("vault:v([1-9][0-9]{0,8}):[A-Za-z0-9+/=]+");

  private final VaultSecretStore vault;
  private final String mount;
  private final String key;
  private final String keyId;

  VaultTransit(VaultSecretStore vault, String mount, String key) {
    this.vault = vault;
    this.mount = mount;
    this.key = key;
    this.keyId = keyIdOf(mount, key);
  }

  /** The key id records sealed under Transit key {@code mount}/{@code key} carry. */
  public static String keyIdOf(String mount, String key) {
    byte[] hash = Bytes.sha256(Bytes.lengthPrefixed(mount, key));
    return KEY_ID_PREFIX + HexFormat.of().formatHex(hash, 0, 8);
  }

  @Override
  public String keyId() {
    return keyId;
  }

  @Override
  public boolean holds(String id) {
    return keyId.equals(id);
  }

  /**
   * Transit {@code encrypt}: the data key goes to Vault (TLS in production) and comes back wrapped.
   */
  @Override
  public byte[] wrap(byte[] dataKey) {
    Objects.requireNonNull(dataKey, "dataKey");
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("plaintext", Base64.getEncoder().encodeToString(dataKey));
    return ciphertextOf(post("encrypt", body, "encrypt a data key"))
        .getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] unwrap(String id, byte[] wrapped) {
    if (!holds(id)) {
      throw new UnknownKeyException(id);
    }
    String ciphertext = checkCiphertext(wrapped);
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("ciphertext", ciphertext);
    JsonNode answer;
    try {
      answer = post("decrypt", body, "decrypt a data key");
    } catch (VaultSecretStore.VaultRequestRefused e) {
      if (e.code() == 400) {
        throw new IntegrityException("Vault Transit refused the wrapped data key");
      }
      throw e;
    }
    String plaintext = answer.path("data").path("plaintext").asText(null);
    if (plaintext == null) {
      throw new StoreException("vault store: Transit's answer to decrypt has no plaintext");
    }
    return Base64.getDecoder().decode(plaintext);
  }

  /**
   * Transit {@code rewrap}: the same data key under the newest key version, done inside Vault.
   *
   * @throws IntegrityException if Vault refuses the wrapped key
   */
  public byte[] rewrap(byte[] wrapped) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("ciphertext", checkCiphertext(wrapped));
    try {
      return ciphertextOf(post("rewrap", body, "re-wrap a data key"))
          .getBytes(StandardCharsets.UTF_8);
    } catch (VaultSecretStore.VaultRequestRefused e) {
      if (e.code() == 400) {
        throw new IntegrityException("Vault Transit refused the wrapped data key");
      }
      throw e;
    }
  }

  /** The Transit key version a wrapped data key names. */
  public static int versionOf(byte[] wrapped) {
    Matcher m = CIPHERTEXT.matcher(new String(wrapped, StandardCharsets.UTF_8));
    if (!m.matches()) {
      throw new MalformedCiphertextException("wrapped data key is not a Vault Transit ciphertext");
    }
    return Integer.parseInt(m.group(1));
  }

  /** The key's newest version ({@code GET <mount>/keys/<key>}). */
  public int latestVersion() {
    JsonNode answer =
        vault
            .call(HttpMethod.GET, mount + "/keys/" + key, null, "read", describe())
            .orElseThrow(
                () -> new StoreException("vault store: " + describe() + " does not exist"));
    int latest = answer.path("data").path("latest_version").asInt(0);
    if (latest < 1) {
      throw new StoreException("vault store: " + describe() + " has no latest_version");
    }
    return latest;
  }

  /** Makes a new key version current in Vault ({@code POST <mount>/keys/<key>/rotate}). */
  public void rotate() {
    vault.call(
        HttpMethod.POST,
        mount + "/keys/" + key + "/rotate",
        JsonNodeFactory.instance.objectNode(),
        "rotate",
        describe());
  }

  private JsonNode post(String operation, ObjectNode body, String verb) {
    return vault
        .call(
            HttpMethod.POST, mount + "/" + operation + "/" + key, body, verb, "with " + describe())
        .orElseThrow(() -> new StoreException("vault store: " + describe() + " does not exist"));
  }

  private String ciphertextOf(JsonNode answer) {
    String ciphertext = answer.path("data").path("ciphertext").asText(null);
    if (ciphertext == null || !CIPHERTEXT.matcher(ciphertext).matches()) {
      throw new StoreException(
          "vault store: Transit's answer from " + describe() + " has no valid ciphertext");
    }
    return ciphertext;
  }

  private static String checkCiphertext(byte[] wrapped) {
    String ciphertext = new String(wrapped, StandardCharsets.UTF_8);
    if (!CIPHERTEXT.matcher(ciphertext).matches()
        || !Arrays.equals(ciphertext.getBytes(StandardCharsets.UTF_8), wrapped)) {
      throw new MalformedCiphertextException("wrapped data key is not a Vault Transit ciphertext");
    }
    return ciphertext;
  }

  private String describe() {
    return "Transit key " + mount + "/" + key;
  }

  /** Names the key, never material. */
  @Override
  public String toString() {
    return "VaultTransit{" + mount + "/" + key + ", keyId=" + keyId + "}";
  }
}
