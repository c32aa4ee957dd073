package io.nbsecrets.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A TLS client context that trusts one CA bundle and requires a given name in the server's
 * certificate, whatever address the connection goes to: for clients that reach a Service through a
 * loopback port (the node stand-in, tests, {@code kubectl port-forward}), as curl's {@code
 * --connect-to} does. The chain is verified by the JDK's PKIX validation against the bundle only.
 */
public final class ServerNameTrust {
  private ServerNameTrust() {}

  /** A context trusting {@code caBundlePem} and requiring {@code serverName}. */
  public static SSLContext context(String caBundlePem, String serverName) {
    KeyStore store = CaTrust.trustStore(caBundlePem);
    try {
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      X509TrustManager chain = (X509TrustManager) factory.getTrustManagers()[0];
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new Named(chain, serverName)}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build a TLS client context", e);
    }
  }

  /** Whether a certificate names {@code name} among its DNS subject alternative names. */
  public static boolean names(X509Certificate certificate, String name) {
    try {
      Collection<List<?>> names = certificate.getSubjectAlternativeNames();
      if (names == null) {
        return false;
      }
      String want = name.toLowerCase(Locale.ROOT);
      for (List<?> entry : names) {
        if (Integer.valueOf(2).equals(entry.get(0))
            && entry.get(1) instanceof String dns
            && matches(dns.toLowerCase(Locale.ROOT), want)) {
          return true;
        }
      }
      return false;
    } catch (CertificateParsingException e) {
      return false;
    }
  }

  /** Exact, or a wildcard for one leftmost label ({@code *.example.org}). */
  static boolean matches(String pattern, String name) {
    if (pattern.startsWith("*.")) {
      int dot = name.indexOf('.');
      return dot > 0 && name.substring(dot).equals(pattern.substring(1));
    }
    return pattern.equals(name);
  }

  private static final class Named extends X509ExtendedTrustManager {
    private final X509TrustManager chain;
    private final String serverName;

    Named(X509TrustManager chain, String serverName) {
      this.chain = chain;
      this.serverName = serverName;
    }

    private void check(X509Certificate[] certificates, String authType)
        throws CertificateException {
      chain.checkServerTrusted(certificates, authType);
      if (!names(certificates[0], serverName)) {
        throw new CertificateException("the server's certificate does not name " + serverName);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certificates, String authType, Socket s)
        throws CertificateException {
      check(certificates, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certificates, String authType, SSLEngine e)
        throws CertificateException {
      check(certificates, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certificates, String authType)
        throws CertificateException {
      check(certificates, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certificates, String authType, Socket s)
        throws CertificateException {
      throw new CertificateException("a client-side context only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certificates, String authType, SSLEngine e)
        throws CertificateException {
      throw new CertificateException("a client-side context only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certificates, String authType)
        throws CertificateException {
      throw new CertificateException("a client-side context only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return chain.getAcceptedIssuers();
    }
  }
}
