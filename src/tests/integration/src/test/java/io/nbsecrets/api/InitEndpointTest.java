package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.nbsecrets.api.ApiFixture.Reply;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.testing.LogCapture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /api/v1/init/user-key} against the mock API server: a session pod's projected token
 * gets its owner's key; everyone else gets 403.
 */
class InitEndpointTest {
  static final String PATH = "/api/v1/init/user-key";
  static ApiFixture f;

  @BeforeAll
  static void start() {
    f = new ApiFixture();
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  static Reply init(String token) {
    return f.call("POST", PATH, token, null);
  }

  static void assertForbidden(Reply r) {
    assertThat(r.status()).as(r.body()).isEqualTo(403);
    assertThat(r.json().get("error").asText()).isEqualTo("forbidden");
    assertThat(r.json().get("message").asText()).contains("audience nbsecrets");
    assertThat(r.json().has("key")).isFalse();
    assertThat(r.header("Cache-Control")).isEqualTo("no-store");
  }

  @Test
  void sessionPodGetsItsOwnersKeyWhichDecryptsTheOwnersSecrets() {
    SessionWorld w = SessionWorld.create(f, new SessionWorld.Spec());
    String userToken = f.userToken(w.user());
    assertThat(f.put("API_KEY", userToken, "alice-secret-value").status()).isEqualTo(201);

    Reply r = init(SessionWorld.podToken(f, w));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.header("Cache-Control")).isEqualTo("no-store");
    assertThat(r.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
    assertThat(r.json().get("user").asText()).isEqualTo(w.user());
    String key = r.json().get("key").asText();
    assertThat(key).isEqualTo(f.userKeys.find(w.user()).orElseThrow());

    // What the operator does (outer layer), then what the init container does (inner layer).
    String record = f.store.get(w.user(), List.of("API_KEY")).get("API_KEY").sealed();
    byte[] inner =
        Envelope.open(
            SessionKeyRing.ofRsa(List.of(ApiFixture.SESSION_KEYS.getPrivate())),
            w.user(),
            "API_KEY",
            record);
    byte[] value = Fernet.fromKey(key).decrypt(new String(inner, StandardCharsets.US_ASCII));
    assertThat(new String(value, StandardCharsets.UTF_8)).isEqualTo("alice-secret-value");
  }

  @Test
  void userWithoutSecretsGetsANewKeyAndTheSameOneLater() {
    SessionWorld w = SessionWorld.create(f, new SessionWorld.Spec());
    assertThat(f.store.getUserKey(w.user())).isEmpty();
    Reply first = init(SessionWorld.podToken(f, w));
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    assertThat(f.store.getUserKey(w.user())).isPresent();
    Reply second = init(SessionWorld.podToken(f, w));
    assertThat(second.status()).isEqualTo(200);
    assertThat(second.json().get("key").asText()).isEqualTo(first.json().get("key").asText());
    // The key then encrypts the user's first secret.
    assertThat(f.put("later", f.userToken(w.user()), "v").status()).isEqualTo(201);
    assertThat(f.decryptStored(w.user(), "later")).isEqualTo("v".getBytes(StandardCharsets.UTF_8));
    assertThat(f.userKeys.find(w.user())).contains(first.json().get("key").asText());
  }

  @Test
  void missingTokenIs401() {
    Reply r = init(null);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.header("WWW-Authenticate")).startsWith("Bearer");
  }

  @Test
  void userTokenIsRefused() {
    SessionWorld w = SessionWorld.create(f, new SessionWorld.Spec());
    assertForbidden(init(f.userToken(w.user())));
    assertForbidden(init("garbage-token"));
    assertThat(f.store.getUserKey(w.user())).isEmpty();
  }

  @Test
  void podTokenForAnotherAudienceIsRefused() {
    SessionWorld w = SessionWorld.create(f, new SessionWorld.Spec());
    String token =
        f.authority.podToken(
            w.namespace(), "default", "nb-0", w.podUid(), "vault", Duration.ofMinutes(10));
    assertForbidden(init(token));
  }

  @Test
  void expiredPodTokenIsRefused() {
    SessionWorld w = SessionWorld.create(f, new SessionWorld.Spec());
    String token =
        f.authority.podToken(
            w.namespace(), "default", "nb-0", w.podUid(), "nbsecrets", Duration.ofSeconds(-1));
    assertForbidden(init(token));
  }

  @Test
  void tokenOfAnEarlierPodWithTheSameNameIsRefused() {
    SessionWorld w = SessionWorld.create(f, new SessionWorld.Spec());
    try (LogCapture logs = new LogCapture()) {
      String token =
          f.authority.podToken(
              w.namespace(),
              "default",
              "nb-0",
              UUID.randomUUID().toString(),
              "nbsecrets",
              Duration.ofMinutes(10));
      assertForbidden(init(token));
      assertThat(logs.messages(SessionPodResolver.class.getName()))
          .anySatisfy(m -> assertThat(m).contains("uid differs"));
      assertThat(logs.text()).doesNotContain(token);
    }
  }

  @Test
  void podOfAnotherNameOrNamespaceIsRefused() {
    SessionWorld w = SessionWorld.create(f, new SessionWorld.Spec());
    assertForbidden(
        init(
            f.authority.podToken(
                w.namespace(), "default", "nb-1", w.podUid(), "nbsecrets", Duration.ofMinutes(5))));
    assertForbidden(
        init(
            f.authority.podToken(
                "elsewhere", "default", "nb-0", w.podUid(), "nbsecrets", Duration.ofMinutes(5))));
  }

  @Test
  void podWithoutOwnerIsRefused() {
    SessionWorld.Spec spec = new SessionWorld.Spec();
    spec.podOwnedBySts = false;
    SessionWorld w = SessionWorld.create(f, spec);
    try (LogCapture logs = new LogCapture()) {
      assertForbidden(init(SessionWorld.podToken(f, w)));
      assertThat(logs.messages(SessionPodResolver.class.getName()))
          .anySatisfy(m -> assertThat(m).contains("has no controller"));
    }
  }

  @Test
  void statefulSetNotOwnedBySessionIsRefused() {
    SessionWorld.Spec spec = new SessionWorld.Spec();
    spec.stsOwnedBySession = false;
    SessionWorld w = SessionWorld.create(f, spec);
    try (LogCapture logs = new LogCapture()) {
      assertForbidden(init(SessionWorld.podToken(f, w)));
      assertThat(logs.messages(SessionPodResolver.class.getName()))
          .anySatisfy(m -> assertThat(m).contains("not controlled by a NotebookSession"));
    }
  }

  @Test
  void podControlledBySomethingElseIsRefused() {
    SessionWorld w = SessionWorld.create(f, new SessionWorld.Spec());
    // A ReplicaSet-controlled pod in the same namespace, with the same service account.
    Pod other =
        new PodBuilder()
            .withNewMetadata()
            .withName("rogue")
            .withNamespace(w.namespace())
            .withOwnerReferences(
                new OwnerReferenceBuilder()
                    .withApiVersion("apps/v1")
                    .withKind("ReplicaSet")
                    .withName("rs")
                    .withUid(UUID.randomUUID().toString())
                    .withController(true)
                    .build())
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("c")
            .withImage("busybox")
            .endContainer()
            .endSpec()
            .build();
    other = f.client.pods().inNamespace(w.namespace()).resource(other).create();
    String token =
        f.authority.podToken(
            w.namespace(),
            "default",
            "rogue",
            other.getMetadata().getUid(),
            "nbsecrets",
            Duration.ofMinutes(5));
    assertForbidden(init(token));
  }

  @Test
  void sessionInANamespaceBoundToAnotherUserIsRefused() {
    SessionWorld.Spec spec = new SessionWorld.Spec();
    spec.boundUser = "bob";
    SessionWorld w = SessionWorld.create(f, spec);
    try (LogCapture logs = new LogCapture()) {
      assertForbidden(init(SessionWorld.podToken(f, w)));
      assertThat(logs.messages(SessionPodResolver.class.getName()))
          .anySatisfy(m -> assertThat(m).contains("bound to another user"));
    }
    assertThat(f.store.getUserKey(w.user())).isEmpty();
    assertThat(f.store.getUserKey("bob")).isEmpty();
  }

  @Test
  void namespaceWithoutBindingIsRefused() {
    SessionWorld.Spec spec = new SessionWorld.Spec();
    spec.annotateNamespace = false;
    SessionWorld w = SessionWorld.create(f, spec);
    assertForbidden(init(SessionWorld.podToken(f, w)));
  }

  @Test
  void podUnderAnotherServiceAccountIsRefused() {
    SessionWorld.Spec spec = new SessionWorld.Spec();
    spec.podServiceAccount = "builder";
    SessionWorld w = SessionWorld.create(f, spec);
    try (LogCapture logs = new LogCapture()) {
      assertForbidden(init(SessionWorld.podToken(f, w)));
      assertThat(logs.messages(SessionPodResolver.class.getName()))
          .anySatisfy(m -> assertThat(m).contains("does not run as the service account"));
    }

    SessionWorld.Spec custom = new SessionWorld.Spec();
    custom.sessionServiceAccount = "notebook";
    SessionWorld w2 = SessionWorld.create(f, custom);
    assertForbidden(init(SessionWorld.podToken(f, w2)));

    SessionWorld.Spec matching = new SessionWorld.Spec();
    matching.sessionServiceAccount = "notebook";
    matching.podServiceAccount = "notebook";
    SessionWorld w3 = SessionWorld.create(f, matching);
    assertThat(init(SessionWorld.podToken(f, w3)).status()).isEqualTo(200);
  }

  @Test
  void tokenOfAnotherServiceAccountThanThePodsIsRefused() {
    SessionWorld w = SessionWorld.create(f, new SessionWorld.Spec());
    String token =
        f.authority.podToken(
            w.namespace(), "intruder", "nb-0", w.podUid(), "nbsecrets", Duration.ofMinutes(5));
    assertForbidden(init(token));
  }

  @Test
  void recreatedStatefulSetDoesNotInheritTheOldOnesPods() {
    SessionWorld w = SessionWorld.create(f, new SessionWorld.Spec());
    f.client.apps().statefulSets().inNamespace(w.namespace()).withName("nb").delete();
    StatefulSet again =
        new StatefulSetBuilder(w.sts())
            .editMetadata()
            .withUid(null)
            .withResourceVersion(null)
            .endMetadata()
            .build();
    f.client.apps().statefulSets().inNamespace(w.namespace()).resource(again).create();
    assertForbidden(init(SessionWorld.podToken(f, w)));
  }
}
