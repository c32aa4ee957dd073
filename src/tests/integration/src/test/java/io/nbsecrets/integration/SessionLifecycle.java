package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.nbsecrets.dev.DevEnvironment;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.operator.Conditions;
import io.nbsecrets.operator.Labels;
import io.nbsecrets.store.KubernetesSecretStore;
import io.nbsecrets.testing.LogCapture;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spine, end to end on the embedded API server: secrets stored through the real secrets API,
 * sessions reconciled by the real operator, files written by the real init step (run by the kubelet
 * stand-in). Each subclass is a group of scenarios with its own dev environment (started once for
 * the class; each test uses its own user and namespace), so a class runs alone or with the others
 * in any order. When a class is done, {@link #scanForLeaks} searches everything its run produced
 * for the plaintext of every secret it used.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
abstract class SessionLifecycle {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Set<String> PLAINTEXTS = ConcurrentHashMap.newKeySet();
  static final List<FlakyStore> STORES = new CopyOnWriteArrayList<>();

  @TempDir static Path dir;
  static DevEnvironment env;
  static KubernetesClient client;
  static LogCapture logs;
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** The users (and so the namespaces) this class's scenarios use. */
  abstract List<String> users();

  @BeforeAll
  void start() {
    PLAINTEXTS.clear();
    STORES.clear();
    logs = new LogCapture();
    long started = System.nanoTime();
    env =
        DevEnvironment.start(
            DevEnvironment.Options.defaults(dir)
                .withUsers(users())
                .withRetry(
                    new GenericRetry()
                        .setInitialInterval(200)
                        .setIntervalMultiplier(1.5)
                        .setMaxInterval(1500)
                        .withoutMaxAttempts())
                .withStore(
                    c -> {
                      FlakyStore s =
                          new FlakyStore(
                              new KubernetesSecretStore(c, DevEnvironment.STORE_NAMESPACE));
                      STORES.add(s);
                      return s;
                    }));
    client = env.client();
    System.out.printf(
        "[measure] %s: dev environment started in %d ms%n",
        getClass().getSimpleName(), (System.nanoTime() - started) / 1_000_000);
  }

  /** The leak scan, then the environment stopped (also when the scan fails). */
  @AfterAll
  void scanThenStop() throws Exception {
    try {
      if (env != null) {
        scanForLeaks();
      }
    } finally {
      if (env != null) {
        env.close();
        env = null;
      }
      if (logs != null) {
        logs.close();
        logs = null;
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  /** A fresh, recognisable plaintext, remembered for the leak scan. */
  static String plaintext(String hint) {
    String v = "pt-" + hint + "-" + UUID.randomUUID();
    PLAINTEXTS.add(v);
    return v;
  }

  static int putSecret(String user, String name, String value) throws Exception {
    return DevApi.put(env, user, name, value);
  }

  /** Store writes of usage ("last used") so far, by every store of the environment. */
  static int usageWrites() {
    return STORES.stream().mapToInt(s -> s.usageWrites.get()).sum();
  }

  static int deleteSecret(String user, String name) throws Exception {
    return DevApi.delete(env, user, name);
  }

  static NotebookSession newSession(String ns, String name, String user, SecretItem... items) {
    NotebookSession s = new NotebookSession();
    s.getMetadata().setNamespace(ns);
    s.getMetadata().setName(name);
    NotebookSessionSpec spec = new NotebookSessionSpec();
    spec.setUser(user);
    spec.setImage("quay.io/jupyter/minimal-notebook:2024-12-02");
    spec.setSecrets(new SecretsSpec(null, null, List.of(items)));
    s.setSpec(spec);
    return s;
  }

  /**
   * Edits a session as a user would, again on a conflict: the operator writes the session's status
   * meanwhile, and an edit sends the resourceVersion it read.
   */
  static void edit(String ns, String name, UnaryOperator<NotebookSession> change) {
    for (int attempt = 1; ; attempt++) {
      try {
        client.resources(NotebookSession.class).inNamespace(ns).withName(name).edit(change);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 5) {
          throw e;
        }
      }
    }
  }

  /** Changes the session's selection of secrets. */
  static void select(String ns, String name, SecretItem... items) {
    edit(
        ns,
        name,
        s -> {
          s.getSpec().setSecrets(new SecretsSpec(null, null, List.of(items)));
          return s;
        });
  }

  static NotebookSession create(NotebookSession s) {
    return client.resource(s).create();
  }

  static NotebookSession get(String ns, String name) {
    return client.resources(NotebookSession.class).inNamespace(ns).withName(name).get();
  }

  static Optional<Condition> condition(NotebookSession s, String type) {
    return s == null || s.getStatus() == null
        ? Optional.empty()
        : Conditions.find(s.getStatus().getConditions(), type);
  }

  static NotebookSession awaitCondition(
      String ns, String name, String type, String status, String reason) {
    await()
        .atMost(30, TimeUnit.SECONDS)
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> {
              NotebookSession s = get(ns, name);
              assertThat(condition(s, type))
                  .as("condition %s of %s/%s", type, ns, name)
                  .hasValueSatisfying(
                      c -> {
                        assertThat(c.getStatus()).isEqualTo(status);
                        assertThat(c.getReason()).isEqualTo(reason);
                        assertThat(c.getObservedGeneration())
                            .isEqualTo(s.getMetadata().getGeneration());
                      });
            });
    return get(ns, name);
  }

  static NotebookSession awaitReady(String ns, String name) {
    return awaitCondition(ns, name, Conditions.READY, Conditions.TRUE, "SessionReady");
  }

  /** The snapshot hash on the session's pod template (it changes when the pod must roll). */
  static String snapshotOf(String ns, String session) {
    StatefulSet sts = client.apps().statefulSets().inNamespace(ns).withName(session).get();
    return sts.getSpec().getTemplate().getMetadata().getAnnotations().get(Labels.SNAPSHOT);
  }

  static List<Secret> sessionSecrets(String ns, String session) {
    return client.secrets().inNamespace(ns).withLabel(Labels.SESSION, session).list().getItems();
  }

  static Map<String, String> files(String ns, String session) throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    Path d = env.kubelet().sessionDir(ns, session);
    if (!Files.isDirectory(d)) {
      return out;
    }
    try (Stream<Path> list = Files.list(d)) {
      for (Path p : list.sorted().toList()) {
        out.put(p.getFileName().toString(), Files.readString(p));
      }
    }
    return out;
  }

  /** Touches the session without changing its spec: a resync trigger. */
  static void touch(String ns, String name) {
    edit(ns, name, s -> annotate(s, "test/touched", UUID.randomUUID().toString()));
  }

  static NotebookSession annotate(NotebookSession s, String key, String value) {
    Map<String, String> annotations =
        s.getMetadata().getAnnotations() == null
            ? new LinkedHashMap<>()
            : new LinkedHashMap<>(s.getMetadata().getAnnotations());
    annotations.put(key, value);
    s.getMetadata().setAnnotations(annotations);
    return s;
  }

  static double reconciles() {
    var timer = env.registry().find("nbsecrets.operator.reconcile").timer();
    return timer == null ? 0 : timer.count();
  }

  /**
   * Collects the embedded API server's requests until nobody but the dev stand-ins (whose garbage
   * collector polls every second) has made one for {@code quietMillis}; at most 20 s.
   */
  static List<RecordedRequest> drainUntilQuiet(long quietMillis) throws InterruptedException {
    List<RecordedRequest> requests = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 20_000;
    long quietSince = System.currentTimeMillis();
    while (System.currentTimeMillis() - quietSince < quietMillis
        && System.currentTimeMillis() < deadline) {
      RecordedRequest r = env.server().takeRequest(50, TimeUnit.MILLISECONDS);
      if (r != null) {
        requests.add(r);
        String agent = r.getHeader("User-Agent");
        if (agent == null || !agent.startsWith(DevEnvironment.STAND_IN_AGENT)) {
          quietSince = System.currentTimeMillis();
        }
      }
    }
    return requests;
  }

  static List<RecordedRequest> byAgent(List<RecordedRequest> requests, String agent) {
    return requests.stream()
        .filter(
            r -> r.getHeader("User-Agent") != null && r.getHeader("User-Agent").startsWith(agent))
        .toList();
  }

  static List<RecordedRequest> writes(List<RecordedRequest> requests) {
    return requests.stream().filter(r -> !r.getMethod().equals("GET")).toList();
  }

  // ---------------------------------------------------------------- the leak scan

  /** No plaintext this class used is in any object, status, event, metric or log line. */
  private void scanForLeaks() {
    StringBuilder haystack = new StringBuilder();
    int objects = 0;
    List<List<? extends HasMetadata>> all =
        List.of(
            client.secrets().inAnyNamespace().list().getItems(),
            client.configMaps().inAnyNamespace().list().getItems(),
            client.apps().statefulSets().inAnyNamespace().list().getItems(),
            client.services().inAnyNamespace().list().getItems(),
            client.pods().inAnyNamespace().list().getItems(),
            client.namespaces().list().getItems(),
            client.resources(NotebookSession.class).inAnyNamespace().list().getItems());
    for (List<? extends HasMetadata> list : all) {
      for (HasMetadata o : list) {
        objects++;
        haystack.append(Serialization.asJson(o)).append('\n');
        if (o instanceof Secret s && s.getData() != null) {
          for (String v : s.getData().values()) {
            haystack
                .append(new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8))
                .append('\n');
          }
        }
      }
    }
    List<Event> events = client.v1().events().inAnyNamespace().list().getItems();
    events.forEach(e -> haystack.append(Serialization.asJson(e)).append('\n'));
    haystack.append(logs.text());
    haystack.append(env.registry().scrape());

    // A scan of one class's run: it saw its plaintexts, objects and log lines, and its Events
    // (none in a run where every session started at once: a first snapshot makes no Event).
    assertThat(PLAINTEXTS).isNotEmpty();
    assertThat(objects).isGreaterThanOrEqualTo(users().size()); // at least their namespaces
    assertThat(logs.size()).isGreaterThan(10);
    String text = haystack.toString();
    for (String p : PLAINTEXTS) {
      assertThat(text).as("leak scan").doesNotContain(p);
      assertThat(text)
          .as("leak scan (base64)")
          .doesNotContain(Base64.getEncoder().encodeToString(p.getBytes(StandardCharsets.UTF_8)));
    }
    System.out.printf(
        "[measure] %s leak scan: %d objects, %d events, %d log events, %d plaintexts, %d chars:"
            + " no plaintext found%n",
        getClass().getSimpleName(),
        objects,
        events.size(),
        logs.size(),
        PLAINTEXTS.size(),
        text.length());
  }
}
