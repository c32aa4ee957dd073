package io.nbsecrets.init;

import io.nbsecrets.tls.Pem;
import io.nbsecrets.tls.ServerNameTrust;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;

/**
 * What the init step trusts when it calls the secrets API.
 *
 * @param caBundle PEM certificates of the API's CA (the operator copies them from the API's
 *     ConfigMap); empty: the JDK's trusted CAs (a certificate from a public CA)
 * @param serverName the name the certificate must carry when the URL's host is an address that
 *     stands in for it (dev mode's node stand-in); empty: the URL's host
 * @param allowInsecureHttp whether an {@code http://} URL is accepted (development only)
 */
public record ApiTrust(String caBundle, String serverName, boolean allowInsecureHttp) {
  public ApiTrust {
    caBundle = caBundle == null ? "" : caBundle.trim();
    serverName = serverName == null ? "" : serverName.trim();
  }

  /** Trust the JDK's CAs; HTTPS only. */
  public static ApiTrust systemDefault() {
    return new ApiTrust("", "", false);
  }

  /** Plain HTTP allowed (dev mode and tests without TLS). */
  public static ApiTrust insecureHttpAllowed() {
    return new ApiTrust("", "", true);
  }

  /** The TLS context trusting {@link #caBundle} only (or the JDK's CAs when empty). */
  SSLContext sslContext() throws InitException {
    try {
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      if (caBundle.isEmpty()) {
        trust.init((KeyStore) null);
      } else {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        List<X509Certificate> cas = Pem.certificates(caBundle);
        if (cas.isEmpty()) {
          throw new InitException("the API's CA bundle holds no certificate");
        }
        for (int i = 0; i < cas.size(); i++) {
          store.setCertificateEntry("ca-" + i, cas.get(i));
        }
        trust.init(store);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (IllegalArgumentException e) {
      throw new InitException("the API's CA bundle is not valid PEM: " + e.getMessage());
    } catch (GeneralSecurityException | IOException e) {
      throw new InitException("cannot set up TLS: " + e.getClass().getSimpleName());
    }
  }

  /**
   * Called by {@link javax.net.ssl.HttpsURLConnection} only when the URL's host is not in the
   * certificate: accepts it when {@link #serverName} is.
   */
  HostnameVerifier hostnameVerifier() {
    return (host, session) -> !serverName.isEmpty() && certificateNames(session, serverName);
  }

  private static boolean certificateNames(SSLSession session, String expected) {
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0
          && chain[0] instanceof X509Certificate leaf
          && ServerNameTrust.names(leaf, expected);
    } catch (SSLPeerUnverifiedException e) {
      return false;
    }
  }
}
