package io.nbsecrets.apiserver;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.dev.ControlPlane;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A projected service-account token that expired a minute ago, signed with the control plane's real
 * signing key: the API server's TokenRequest will not issue one (ten minutes at the least), so it
 * is made here exactly as the API server makes them, and the real TokenReview judges it.
 */
final class ExpiredTokens {
  private ExpiredTokens() {}

  static String forge(ControlPlane cp, Pod pod, String audience) throws Exception {
    PrivateKey key =
        RsaKeys.parsePrivateKey(Files.readString(cp.dir().resolve("pki").resolve("sa.key")));
    var publicKey = RsaKeys.publicKeyOf(key);
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String kid =
        b64.encodeToString(MessageDigest.getInstance("SHA-256").digest(publicKey.getEncoded()));
    String ns = pod.getMetadata().getNamespace();
    String saUid;
    try (KubernetesClient admin = cp.client(ControlPlane.ADMIN)) {
      saUid =
          admin.serviceAccounts().inNamespace(ns).withName("default").get().getMetadata().getUid();
    }
    long now = Instant.now().getEpochSecond();
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("aud", List.of(audience));
    claims.put("exp", now - 60);
    claims.put("iat", now - 660);
    claims.put("nbf", now - 660);
    claims.put("iss", "https://kubernetes.default.svc.cluster.local");
    claims.put("jti", UUID.randomUUID().toString());
    claims.put(
        "kubernetes.io",
        Map.of(
            "namespace", ns,
            "pod", Map.of("name", pod.getMetadata().getName(), "uid", pod.getMetadata().getUid()),
            "serviceaccount", Map.of("name", "default", "uid", saUid)));
    claims.put("sub", "system:serviceaccount:" + ns + ":default");
    String header = Serialization.asJson(Map.of("alg", "RS256", "kid", kid));
    String signingInput =
        b64.encodeToString(header.getBytes(StandardCharsets.UTF_8))
            + "."
            + b64.encodeToString(Serialization.asJson(claims).getBytes(StandardCharsets.UTF_8));
    Signature rs256 = Signature.getInstance("SHA256withRSA");
    rs256.initSign(key);
    rs256.update(signingInput.getBytes(StandardCharsets.UTF_8));
    return signingInput + "." + b64.encodeToString(rs256.sign());
  }
}
