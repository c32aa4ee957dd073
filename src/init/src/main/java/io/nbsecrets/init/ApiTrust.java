package io.nbsecrets.init;

import io.nbsecrets.tls.CaTrust;
import io.nbsecrets.tls.ServerNameTrust;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

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
      return CaTrust.context(caBundle);
    } catch (IllegalArgumentException e) {
      throw new InitException("the API's CA bundle: " + e.getMessage());
    } catch (IllegalStateException e) {
      throw new InitException(e.getMessage());
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
