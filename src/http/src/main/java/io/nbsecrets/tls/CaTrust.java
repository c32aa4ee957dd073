package io.nbsecrets.tls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS client context that trusts the certificates of one PEM bundle and nothing else (an empty
 * bundle: the JDK's CAs), with the JDK's usual check of the server's name: what the init step and
 * the user's CLI trust when they call the secrets API. {@link ServerNameTrust} is the variant for a
 * connection to an address the certificate does not name.
 */
public final class CaTrust {
  private CaTrust() {}

  /**
   * The certificates of {@code pem} as a trust store.
   *
   * @throws IllegalArgumentException when it is not PEM or holds no certificate (the message names
   *     what is wrong, never the data)
   */
  public static KeyStore trustStore(String pem) {
    List<X509Certificate> cas = Pem.certificates(pem);
    if (cas.isEmpty()) {
      throw new IllegalArgumentException("the CA bundle holds no certificate");
    }
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        store.setCertificateEntry("ca-" + i, cas.get(i));
      }
      return store;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(
          "cannot build a trust store: " + e.getClass().getSimpleName());
    }
  }

  /** A context trusting {@code pem} only; null or blank: the JDK's trusted CAs. */
  public static SSLContext context(String pem) {
    try {
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(pem == null || pem.isBlank() ? null : trustStore(pem));
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS: " + e.getClass().getSimpleName());
    }
  }
}
