package io.nbsecrets.tls;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A small certificate authority of the API's own, used when cert-manager does not issue the
 * certificate: ECDSA P-256 keys, a CA valid for {@link #CA_VALIDITY}, server certificates for a
 * Service's DNS names. Only the JDK's providers are used (BouncyCastle builds the structures).
 */
public final class CertificateAuthority {
  public static final Duration CA_VALIDITY = Duration.ofDays(3650);
  public static final Duration SERVER_VALIDITY = Duration.ofDays(90);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A certificate and its key. */
  public record Issued(X509Certificate certificate, PrivateKey key) {
    @Override
    public String toString() {
      return "Issued{" + certificate.getSubjectX500Principal() + "}";
    }
  }

  private final Issued ca;
  private final Clock clock;

  private CertificateAuthority(Issued ca, Clock clock) {
    this.ca = ca;
    this.clock = clock;
  }

  /** A new CA named {@code commonName}. */
  public static CertificateAuthority generate(String commonName, Clock clock) {
    KeyPair pair = newKeyPair();
    X500Name name = new X500Name("CN=" + commonName);
    Instant now = clock.instant();
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  name,
                  serial(),
                  Date.from(now.minus(Duration.ofMinutes(5))),
                  Date.from(now.plus(CA_VALIDITY)),
                  name,
                  pair.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  utils.createSubjectKeyIdentifier(pair.getPublic()));
      return new CertificateAuthority(
          new Issued(sign(builder, pair.getPrivate()), pair.getPrivate()), clock);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot build a CA certificate", e);
    }
  }

  /** A CA kept before (its certificate and key as PEM). */
  public static CertificateAuthority of(String certificatePem, String keyPem, Clock clock) {
    List<X509Certificate> certs = Pem.certificates(certificatePem);
    if (certs.size() != 1) {
      throw new IllegalArgumentException(
          "the CA certificate PEM holds " + certs.size() + " certificates; expected 1");
    }
    PrivateKey key = Pem.privateKeyOf(keyPem);
    Pem.checkPair(certs.get(0), key);
    return new CertificateAuthority(new Issued(certs.get(0), key), clock);
  }

  public X509Certificate certificate() {
    return ca.certificate();
  }

  public PrivateKey privateKey() {
    return ca.key();
  }

  /** A server certificate for these DNS names (the first is also the subject's CN). */
  public Issued issueServer(List<String> dnsNames) {
    Objects.requireNonNull(dnsNames, "dnsNames");
    if (dnsNames.isEmpty()) {
      throw new IllegalArgumentException("a server certificate needs at least one DNS name");
    }
    GeneralName[] names =
        dnsNames.stream()
            .map(n -> new GeneralName(GeneralName.dNSName, n))
            .toArray(GeneralName[]::new);
    return issue(
        new X500Name("CN=" + dnsNames.get(0)),
        KeyPurposeId.id_kp_serverAuth,
        new GeneralNames(names),
        KeyUsage.digitalSignature | KeyUsage.keyEncipherment);
  }

  /**
   * A client certificate for user {@code commonName} in group {@code organization}, as Kubernetes
   * reads a client certificate's subject (for example the API server's, to kubelets).
   */
  public Issued issueClient(String commonName, String organization) {
    Objects.requireNonNull(commonName, "commonName");
    Objects.requireNonNull(organization, "organization");
    return issue(
        new X500Name("O=" + organization + ",CN=" + commonName),
        KeyPurposeId.id_kp_clientAuth,
        null,
        KeyUsage.digitalSignature);
  }

  private Issued issue(
      X500Name subject, KeyPurposeId purpose, GeneralNames alternativeNames, int keyUsage) {
    KeyPair pair = newKeyPair();
    Instant now = clock.instant();
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  ca.certificate(),
                  serial(),
                  Date.from(now.minus(Duration.ofMinutes(5))),
                  Date.from(now.plus(SERVER_VALIDITY)),
                  subject,
                  pair.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage))
              .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  utils.createAuthorityKeyIdentifier(ca.certificate()))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  utils.createSubjectKeyIdentifier(pair.getPublic()));
      if (alternativeNames != null) {
        builder.addExtension(Extension.subjectAlternativeName, false, alternativeNames);
      }
      return new Issued(sign(builder, ca.key()), pair.getPrivate());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot issue a certificate for " + subject, e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("no ECDSA signer", e);
    }
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no EC P-256 key generator", e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }
}
