package io.nbsecrets.tls;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How the secrets API serves TLS.
 *
 * @param mode {@code generate}: its own CA (in a Secret) and certificate; {@code files}: a mounted
 *     certificate (cert-manager); {@code none}: plain HTTP (development)
 * @param dir with {@code files}: the folder of {@code tls.crt}, {@code tls.key}, {@code ca.crt}
 * @param dnsNames with {@code generate}: the names the certificate carries (the Service's)
 */
public record TlsSettings(Mode mode, Path dir, List<String> dnsNames) {
  /** See {@link TlsSettings}. */
  public enum Mode {
    GENERATE,
    FILES,
    NONE
  }

  public TlsSettings {
    Objects.requireNonNull(mode, "mode");
    dnsNames = dnsNames == null ? List.of() : List.copyOf(dnsNames);
    if (mode == Mode.FILES && dir == null) {
      throw new IllegalArgumentException("--tls=files needs --tls-dir");
    }
    if (mode == Mode.GENERATE && dnsNames.isEmpty()) {
      throw new IllegalArgumentException(
          "--tls=generate needs at least one --tls-dns-name (the API Service's names)");
    }
  }

  public static TlsSettings none() {
    return new TlsSettings(Mode.NONE, null, List.of());
  }
}
