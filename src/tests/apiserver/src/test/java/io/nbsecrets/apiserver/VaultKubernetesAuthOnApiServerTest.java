package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.StoreException;
import io.nbsecrets.store.VaultSecretStore;
import io.nbsecrets.store.VaultSecretStore.VaultConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vault store's Kubernetes auth end to end: a real Vault (VAULT_ADDR, VAULT_TOKEN: the admin
 * who configures it) whose Kubernetes auth method checks ServiceAccount tokens with the real API
 * server's TokenReview. The store logs in with a projected-style token of its ServiceAccount and
 * works within its policy; another ServiceAccount's token is refused.
 */
@Tag("apiserver")
@ExtendWith(RealApiServer.class)
@EnabledIfEnvironmentVariable(named = "VAULT_ADDR", matches = ".+")
@EnabledIfEnvironmentVariable(named = "VAULT_TOKEN", matches = ".+")
class VaultKubernetesAuthOnApiServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NS = "vault-auth";
  @TempDir Path dir;

  private static URI vault(String path) {
    return URI.create(System.getenv("VAULT_ADDR").replaceAll("/+$", "") + "/v1/" + path);
  }

  private static int call(String method, String path, Object body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(vault(path))
            .header("X-Vault-Token", System.getenv("VAULT_TOKEN"))
            .timeout(Duration.ofSeconds(30));
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    HttpResponse<String> r =
        HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isLessThan(300);
    return r.statusCode();
  }

  private static String token(KubernetesClient admin, String sa, String audience) {
    return admin
        .serviceAccounts()
        .inNamespace(NS)
        .withName(sa)
        .tokenRequest(
            new TokenRequestBuilder()
                .withNewSpec()
                .withAudiences(audience == null ? List.of() : List.of(audience))
                .withExpirationSeconds(3600L)
                .endSpec()
                .build())
        .getStatus()
        .getToken();
  }

  @Test
  void theStoreLogsInWithItsServiceAccountThroughTheRealTokenReview() throws Exception {
    ControlPlane cp = RealApiServer.get();
    String run = UUID.randomUUID().toString().substring(0, 8);
    String authPath = "kubernetes-" + run;
    String prefix = "nbsecrets-k8s-" + run;
    try (KubernetesClient admin = cp.client(ControlPlane.ADMIN)) {
      admin
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
          .createOr(r -> r.update());
      for (String sa : List.of("vault-reviewer", "nbsecrets-api", "intruder")) {
        admin
            .serviceAccounts()
            .inNamespace(NS)
            .resource(
                new ServiceAccountBuilder().withNewMetadata().withName(sa).endMetadata().build())
            .createOr(r -> r.update());
      }
      // What Vault's documentation asks of the reviewer: TokenReview, through auth-delegator.
      admin
          .rbac()
          .clusterRoleBindings()
          .resource(
              new ClusterRoleBindingBuilder()
                  .withNewMetadata()
                  .withName("vault-reviewer-" + run)
                  .endMetadata()
                  .withNewRoleRef(
                      "rbac.authorization.k8s.io", "ClusterRole", "system:auth-delegator")
                  .addNewSubject()
                  .withKind("ServiceAccount")
                  .withName("vault-reviewer")
                  .withNamespace(NS)
                  .endSubject()
                  .build())
          .create();

      call("POST", "sys/auth/" + authPath, Map.of("type", "kubernetes"));
      try {
        call(
            "POST",
            "auth/" + authPath + "/config",
            Map.of(
                "kubernetes_host", cp.url(),
                "kubernetes_ca_cert", Files.readString(cp.caFile()),
                "token_reviewer_jwt", token(admin, "vault-reviewer", null),
                "disable_local_ca_jwt", true));
        String policy =
            """
            path "secret/data/%1$s/*" { capabilities = ["create", "read", "update", "delete"] }
            path "secret/metadata/%1$s/*" { capabilities = ["read", "list", "delete"] }
            path "secret/metadata/%1$s" { capabilities = ["list"] }
            """
                .formatted(prefix);
        call("PUT", "sys/policies/acl/" + prefix, Map.of("policy", policy));
        call(
            "POST",
            "auth/" + authPath + "/role/nbsecrets",
            Map.of(
                "bound_service_account_names", List.of("nbsecrets-api"),
                "bound_service_account_namespaces", List.of(NS),
                "audience", "vault",
                "token_policies", List.of(prefix),
                "token_ttl", "10m"));

        Path jwt = dir.resolve("token");
        Files.writeString(jwt, token(admin, "nbsecrets-api", "vault"));
        try (SecretStore store = open(prefix, jwt, authPath)) {
          assertThat(store.put("alice", "db-password", "sealed-1", 10).created()).isTrue();
          assertThat(store.get("alice", List.of("db-password")).get("db-password").sealed())
              .isEqualTo("sealed-1");
          assertThat(store.list("alice")).hasSize(1);
          assertThat(store.delete("alice", "db-password")).isTrue();
        }

        Path intruder = dir.resolve("intruder");
        Files.writeString(intruder, token(admin, "intruder", "vault"));
        try (SecretStore store = open(prefix, intruder, authPath)) {
          assertThatThrownBy(() -> store.list("alice"))
              .isInstanceOf(StoreException.class)
              .hasMessageContaining("cannot log in")
              .hasMessageContaining("service account name not authorized");
        }
        Path wrongAudience = dir.resolve("wrong-audience");
        Files.writeString(wrongAudience, token(admin, "nbsecrets-api", "not-vault"));
        try (SecretStore store = open(prefix, wrongAudience, authPath)) {
          assertThatThrownBy(() -> store.list("alice")).isInstanceOf(StoreException.class);
        }
      } finally {
        call("DELETE", "sys/auth/" + authPath, null);
        call("DELETE", "sys/policies/acl/" + prefix, null);
        admin.rbac().clusterRoleBindings().withName("vault-reviewer-" + run).delete();
      }
    }
  }

  private static SecretStore open(String prefix, Path jwt, String authPath) {
    return VaultSecretStore.open(
        new VaultConfig(
            URI.create(System.getenv("VAULT_ADDR").replaceAll("/+$", "")),
            "secret",
            prefix,
            null,
            "nbsecrets",
            jwt,
            authPath,
            Duration.ofSeconds(10)));
  }
}
