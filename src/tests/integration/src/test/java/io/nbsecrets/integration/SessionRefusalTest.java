package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.operator.Conditions;
import io.nbsecrets.operator.Labels;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Sessions the operator refuses, loudly, and how each recovers: a missing secret, another user's
 * session, an unbound namespace, an invalid mount path.
 */
class SessionRefusalTest extends SessionLifecycle {
  @Override
  List<String> users() {
    return List.of("alice", "erin", "frank", "grace");
  }

  @Test
  void aMissingSecretFailsLoudlyMountsNothingAndRecoversWhenStored() throws Exception {
    create(newSession("erin", "nb", "erin", new SecretItem("MISSING", null)));
    NotebookSession s =
        awaitCondition("erin", "nb", Conditions.SECRETS_READY, "False", "SecretNotFound");
    assertThat(condition(s, Conditions.SECRETS_READY).get().getMessage())
        .contains("MISSING")
        .contains("erin");
    assertThat(condition(s, Conditions.READY).get().getStatus()).isEqualTo("False");
    assertThat(condition(s, Conditions.READY).get().getReason()).isEqualTo("SecretNotFound");
    assertThat(sessionSecrets("erin", "nb")).isEmpty();
    assertThat(client.apps().statefulSets().inNamespace("erin").withName("nb").get()).isNull();
    await()
        .atMost(10, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(client.v1().events().inNamespace("erin").list().getItems())
                    .anySatisfy(
                        e -> {
                          assertThat(e.getType()).isEqualTo("Warning");
                          assertThat(e.getReason()).isEqualTo("SecretNotFound");
                          assertThat(e.getInvolvedObject().getName()).isEqualTo("nb");
                          assertThat(e.getMessage()).contains("MISSING");
                        }));

    String value = plaintext("erin-late");
    assertThat(putSecret("erin", "MISSING", value)).isEqualTo(201);
    awaitReady("erin", "nb");
    assertThat(files("erin", "nb")).containsOnly(Map.entry("MISSING", value));
  }

  @Test
  void aSessionNamingAnotherUserIsRefused() throws Exception {
    putSecret("alice", "frank-wants-this", plaintext("alice-not-for-frank"));
    create(newSession("frank", "steal", "alice", new SecretItem("frank-wants-this", null)));
    NotebookSession s =
        awaitCondition("frank", "steal", Conditions.SECRETS_READY, "False", "UserMismatch");
    assertThat(condition(s, Conditions.SECRETS_READY).get().getMessage())
        .contains("alice")
        .contains("frank");
    assertThat(sessionSecrets("frank", "steal")).isEmpty();
    assertThat(client.apps().statefulSets().inNamespace("frank").withName("steal").get()).isNull();
  }

  @Test
  void anUnboundNamespaceIsRefusedUntilAnAdminBindsIt() throws Exception {
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName("shared").endMetadata().build())
        .create();
    create(newSession("shared", "nb", "grace"));
    awaitCondition("shared", "nb", Conditions.SECRETS_READY, "False", "NamespaceNotBound");
    client
        .namespaces()
        .withName("shared")
        .edit(
            n -> {
              n.getMetadata().setAnnotations(Map.of(Labels.NAMESPACE_USER_ANNOTATION, "grace"));
              return n;
            });
    awaitReady("shared", "nb");
  }

  @Test
  void anInvalidMountPathIsRefused() throws Exception {
    NotebookSession s = newSession("grace", "etc", "grace");
    s.getSpec().setSecrets(new SecretsSpec("/etc/secrets", null, List.of()));
    create(s);
    NotebookSession got =
        awaitCondition("grace", "etc", Conditions.SECRETS_READY, "False", "InvalidMountPath");
    assertThat(condition(got, Conditions.SECRETS_READY).get().getMessage()).contains("/etc");
    assertThat(client.apps().statefulSets().inNamespace("grace").withName("etc").get()).isNull();
    // the spec is never rewritten by the operator
    assertThat(got.getSpec().getSecrets().getMountPath()).isEqualTo("/etc/secrets");
  }
}
