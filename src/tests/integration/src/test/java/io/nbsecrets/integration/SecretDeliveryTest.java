package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.nbsecrets.dev.DevEnvironment;
import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.operator.Conditions;
import io.nbsecrets.operator.Labels;
import io.nbsecrets.operator.SessionSecrets;
import io.nbsecrets.operator.Snapshot;
import io.nbsecrets.operator.Workload;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The happy path: a secret travels from the API to a file in the session; a resync that changes
 * nothing writes nothing.
 */
class SecretDeliveryTest extends SessionLifecycle {
  @Override
  List<String> users() {
    return List.of("alice", "bob", "carol", "dave");
  }

  @Test
  void aSecretTravelsFromTheApiToAFileInTheSession() throws Exception {
    String apiKey = plaintext("alice-api-key");
    String password = plaintext("alice-db-password");
    assertThat(putSecret("alice", "OPENAI_API_KEY", apiKey)).isEqualTo(201);
    assertThat(putSecret("alice", "db-password", password)).isEqualTo(201);

    drainUntilQuiet(300);
    int usageBefore = usageWrites();
    Instant start = Instant.now();
    create(
        newSession(
            "alice",
            "nb",
            "alice",
            new SecretItem("OPENAI_API_KEY", null),
            new SecretItem("db-password", "pg.txt")));
    NotebookSession ready = awaitReady("alice", "nb");
    List<RecordedRequest> creation = drainUntilQuiet(500);

    // "Last used": one store write for the session start, whatever the number of secrets; the
    // API shows it, and the session as holding the current version.
    assertThat(usageWrites() - usageBefore).isEqualTo(1);
    System.out.printf(
        "[measure] usage tracking: %d store write for 1 session start with 2 secrets%n",
        usageWrites() - usageBefore);
    JsonNode shown = DevApi.get(env, "alice", "db-password");
    assertThat(Instant.parse(shown.path("lastUsedAt").asText())).isBetween(start, Instant.now());
    await()
        .atMost(10, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(DevApi.get(env, "alice", "OPENAI_API_KEY").path("usedBy").toString())
                    .isEqualTo("[{\"namespace\":\"alice\",\"name\":\"nb\"}]"));

    // the files, with the plaintext, mode 0400
    assertThat(files("alice", "nb"))
        .containsOnly(Map.entry("OPENAI_API_KEY", apiKey), Map.entry("pg.txt", password));
    Path file = env.kubelet().sessionDir("alice", "nb").resolve("pg.txt");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("r--------");

    // The audit trail: both stored through the API, both delivered to alice/nb (one line each).
    List<String> audit = logs.messages(io.nbsecrets.audit.Audit.LOGGER);
    assertThat(audit)
        .filteredOn(l -> l.contains("\"user\":\"alice\""))
        .anySatisfy(
            l -> assertThat(l).contains("\"event\":\"secret.created\"", "\"name\":\"db-password\""))
        .anySatisfy(
            l ->
                assertThat(l)
                    .contains(
                        "\"event\":\"secret.delivered\"",
                        "\"name\":\"OPENAI_API_KEY\"",
                        "\"version\":1",
                        "\"session\":\"alice/nb\""));
    assertThat(audit.stream().filter(l -> l.contains("secret.delivered") && l.contains("alice/nb")))
        .hasSize(2);

    // status: names and versions, the pod, every condition True at this generation
    assertThat(ready.getStatus().getObservedGeneration())
        .isEqualTo(ready.getMetadata().getGeneration());
    assertThat(ready.getStatus().getSecrets())
        .containsExactly(
            new MountedSecret("OPENAI_API_KEY", 1L, null),
            new MountedSecret("db-password", 1L, null));
    assertThat(ready.getStatus().getPodName()).isEqualTo("nb-0");
    for (String type :
        List.of(Conditions.READY, Conditions.SECRETS_READY, Conditions.WORKLOAD_READY)) {
      assertThat(condition(ready, type)).get().extracting(Condition::getStatus).isEqualTo("True");
    }

    // the per-session Secret: owned, labelled, immutable, once-encrypted values only
    List<Secret> secrets = sessionSecrets("alice", "nb");
    assertThat(secrets).hasSize(1);
    Secret secret = secrets.get(0);
    assertThat(secret.getImmutable()).isTrue();
    assertThat(secret.getMetadata().getLabels())
        .containsEntry(Labels.SESSION, "nb")
        .containsEntry(Labels.USER, "alice");
    assertThat(secret.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.getController()).isTrue();
              assertThat(o.getUid()).isEqualTo(ready.getMetadata().getUid());
            });
    // The values, and the list of files the init step reads (names, files, versions).
    assertThat(secret.getData())
        .containsOnlyKeys("OPENAI_API_KEY", "db-password", SessionSecrets.MANIFEST_KEY);
    assertThat(SessionSecrets.manifest(secret))
        .extracting(Snapshot.ManifestEntry::name)
        .containsExactlyInAnyOrder("OPENAI_API_KEY", "db-password");
    for (String v :
        List.of(secret.getData().get("OPENAI_API_KEY"), secret.getData().get("db-password"))) {
      String token = new String(Base64.getDecoder().decode(v), StandardCharsets.US_ASCII);
      assertThat(token).startsWith("gAAAAA").doesNotContain(apiKey).doesNotContain(password);
    }

    // the workload
    StatefulSet sts = client.apps().statefulSets().inNamespace("alice").withName("nb").get();
    assertThat(sts.getSpec().getReplicas()).isEqualTo(1);
    assertThat(sts.getSpec().getTemplate().getSpec().getVolumes())
        .anySatisfy(
            v -> {
              assertThat(v.getName()).isEqualTo(Workload.SEALED_VOLUME);
              assertThat(v.getSecret().getSecretName()).isEqualTo(secret.getMetadata().getName());
            });
    assertThat(client.services().inNamespace("alice").withName("nb").get()).isNotNull();
    assertThat(client.pods().inNamespace("alice").withName("nb-0").get().getStatus().getPhase())
        .isEqualTo("Running");
    // A first snapshot is told by the status alone (SecretsReady and the secrets' names and
    // versions), not by an Event: one write less per new session.
    assertThat(client.v1().events().inNamespace("alice").list().getItems())
        .noneSatisfy(e -> assertThat(e.getReason()).isEqualTo("SnapshotTaken"));

    List<RecordedRequest> operator = byAgent(creation, DevEnvironment.OPERATOR_AGENT);
    System.out.printf(
        "[measure] session creation: %d Kubernetes API requests by the operator (%d writes); %d by"
            + " all: %s%n",
        operator.size(),
        writes(operator).size(),
        creation.size(),
        operator.stream()
            .map(r -> r.getMethod() + " " + r.getPath().replaceAll("\\?.*", ""))
            .toList());
    assertThat(writes(operator)).isNotEmpty();
    assertThat(writes(operator)).noneMatch(r -> r.getPath().contains("/events"));
    // The snapshot's record rides in the StatefulSet: no ConfigMap in the session's namespace.
    assertThat(writes(operator))
        .noneMatch(r -> r.getPath().contains("/namespaces/alice/configmaps"));

    // A refresh request replaces the snapshot, and that is told by an Event.
    edit("alice", "nb", s -> annotate(s, Labels.REFRESH_ANNOTATION, "1"));
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(client.v1().events().inNamespace("alice").list().getItems())
                    .anySatisfy(
                        e -> {
                          assertThat(e.getType()).isEqualTo("Normal");
                          assertThat(e.getReason()).isEqualTo("SnapshotTaken");
                          assertThat(e.getMessage())
                              .isEqualTo("took 2 secrets: OPENAI_API_KEY, db-password");
                        }));
    awaitReady("alice", "nb");
  }

  @Test
  void aSecondSessionOfTheSameSecretsTakesThemWithoutOpeningThemAgain() throws Exception {
    String token = plaintext("dave-token");
    String key = plaintext("dave-key");
    assertThat(putSecret("dave", "token", token)).isEqualTo(201);
    assertThat(putSecret("dave", "key", key)).isEqualTo(201);
    double opened = records("opened");
    double reused = records("reused");
    SecretItem[] both = {new SecretItem("token", null), new SecretItem("key", null)};

    create(newSession("dave", "nb-1", "dave", both));
    awaitReady("dave", "nb-1");
    assertThat(records("opened") - opened).isEqualTo(2);
    create(newSession("dave", "nb-2", "dave", both));
    awaitReady("dave", "nb-2");
    assertThat(records("opened") - opened).as("nothing opened again").isEqualTo(2);
    assertThat(records("reused") - reused).isEqualTo(2);
    assertThat(files("dave", "nb-2"))
        .containsOnly(Map.entry("token", token), Map.entry("key", key));

    // A replaced value is another record: opened, and the next session has the new value.
    String newer = plaintext("dave-token-2");
    assertThat(putSecret("dave", "token", newer)).isEqualTo(200);
    create(newSession("dave", "nb-3", "dave", both));
    awaitReady("dave", "nb-3");
    assertThat(records("opened") - opened).isEqualTo(3);
    assertThat(records("reused") - reused).isEqualTo(3);
    assertThat(files("dave", "nb-3"))
        .containsOnly(Map.entry("token", newer), Map.entry("key", key));

    assertThat(
            env.registry()
                .scrape()
                .lines()
                .filter(l -> l.startsWith("nbsecrets_operator_snapshot_records_total")))
        .hasSize(2)
        .allSatisfy(l -> assertThat(l).doesNotContain("dave").doesNotContain("nb-"));
  }

  private static double records(String result) {
    var counter =
        env.registry()
            .find("nbsecrets.operator.snapshot.records")
            .tag("result", result)
            .functionCounter();
    return counter == null ? 0 : counter.count();
  }

  @Test
  void aResyncWhereNothingChangedWritesNothing() throws Exception {
    assertThat(putSecret("bob", "token", plaintext("bob-token"))).isEqualTo(201);
    create(newSession("bob", "nb", "bob", new SecretItem("token", null)));
    awaitReady("bob", "nb");
    drainUntilQuiet(500);
    double before = reconciles();

    int usageBefore = usageWrites();

    touch("bob", "nb");
    await().atMost(10, TimeUnit.SECONDS).until(() -> reconciles() > before);
    List<RecordedRequest> resync = drainUntilQuiet(500);
    assertThat(usageWrites())
        .as("usage is written per snapshot, not per reconcile")
        .isEqualTo(usageBefore);

    List<RecordedRequest> operator = byAgent(resync, DevEnvironment.OPERATOR_AGENT);
    System.out.printf(
        "[measure] no-op resync: %d Kubernetes API requests by the operator (%d writes): %s%n",
        operator.size(),
        writes(operator).size(),
        operator.stream().map(r -> r.getMethod() + " " + r.getPath()).toList());
    assertThat(writes(operator)).isEmpty();
    assertThat(sessionSecrets("bob", "nb")).hasSize(1);
  }

  @Test
  void theEchoOfAStatusWriteIsNotReconciledAndAnAnnotationIs() throws Exception {
    assertThat(putSecret("carol", "token", plaintext("carol-token"))).isEqualTo(201);
    create(newSession("carol", "nb", "carol", new SecretItem("token", null)));
    NotebookSession ready = awaitReady("carol", "nb");
    drainUntilQuiet(500);
    double before = reconciles();

    // A status write (the operator is its only writer: this stands for the echo of its own).
    NotebookSession changed = get("carol", "nb");
    changed.getStatus().setPodName("somewhere-else");
    client.resource(changed).updateStatus();
    drainUntilQuiet(1000);
    assertThat(reconciles()).as("reconciles after a status-only change").isEqualTo(before);
    assertThat(get("carol", "nb").getStatus().getPodName()).isEqualTo("somewhere-else");

    // A change of the metadata (here an annotation, as a refresh request is) reconciles, and the
    // status is the operator's again.
    touch("carol", "nb");
    await()
        .atMost(10, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(get("carol", "nb").getStatus().getPodName())
                    .isEqualTo(ready.getStatus().getPodName()));
    assertThat(reconciles()).isGreaterThan(before);
  }
}
