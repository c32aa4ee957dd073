package io.nbsecrets.refresh;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nbsecrets.dev.DevEnvironment;
import io.nbsecrets.integration.DevApi;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.model.ObjectKeys;
import io.nbsecrets.model.Refresh;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.operator.SessionSecrets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * Benchmark command (not a test): the delay from a store write to the new value in a running
 * session's file with {@code refresh: Live}, in dev mode (embedded API server, real secrets API,
 * real operator with its 15-second store poll, kubelet stand-in with an atomic secret volume, real
 * refresh step), over {@value #STREAMS} × {@value #UPDATES} updates: {@value #STREAMS} users, each
 * with one live session, update their secret one after the other, each stream at its own pace (a
 * random pause of 0 to 15 s, one poll period, after each delivered value), so that writes fall
 * anywhere in the poll's period. Each update is also timed at the operator's in-place write of the
 * session Secret, which splits the delay into "the operator noticed" and "the volume and the
 * sidecar delivered".
 *
 * <p>References, measured in the same run, at the same time, on each user's second session ({@code
 * refresh: OnRestart}, the default), with the same pacing: (1) the store write until the session's
 * status marks the secret {@code stale: true} — the same poll, so the floor of any delivery that
 * rests on it; (2) then the user's restart (the {@code nbsecrets.io/refresh} annotation) until the
 * new pod's file holds the new value — in dev mode nearly free, on a real node a pod start, and in
 * a real session the loss of every kernel's state.
 *
 * <p>Run: {@code ./mvnw -q -pl src/benchmarks -am -DskipTests package exec:java
 * -Dexec.mainClass=io.nbsecrets.refresh.LiveRefreshBenchmark}. Results: docs/benchmarks.md.
 */
public final class LiveRefreshBenchmark {
  private static final int STREAMS = 10;
  private static final int UPDATES = 10;
  private static final Duration WITHIN = Duration.ofSeconds(120);

  /** The pause after each delivered value: up to one poll period, so writes fall anywhere in it. */
  private static final long MAX_PAUSE_MILLIS = 15_000;

  /**
   * One update's timings in milliseconds: {@code firstMillis} from the store write's answer to the
   * first sign (Live: the operator's write of the session Secret; OnRestart: the stale mark),
   * {@code fileMillis} to the new value in the file (OnRestart: from the restart request).
   */
  private record Sample(long firstMillis, long fileMillis) {}

  private LiveRefreshBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("nbsecrets-live-bench");
    List<String> users = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      users.add("user" + i);
    }
    long started = System.nanoTime();
    try (DevEnvironment env =
        DevEnvironment.start(DevEnvironment.Options.defaults(dir).withUsers(users))) {
      System.out.printf(
          "dev environment started in %d ms%n", (System.nanoTime() - started) / 1_000_000);
      for (String user : users) {
        put(env, user, "LIVE", value());
        put(env, user, "RESTARTED", value());
        env.client().resource(session(user, "live", "LIVE", Refresh.Live)).create();
        env.client().resource(session(user, "restarted", "RESTARTED", Refresh.OnRestart)).create();
      }
      for (String user : users) {
        for (String name : List.of("live", "restarted")) {
          Path file = env.kubelet().sessionDir(user, name).resolve("value");
          await(() -> read(file) != null, "session " + user + "/" + name + " to start");
        }
      }

      long t0 = System.nanoTime();
      List<Stream> streams = new ArrayList<>();
      for (String user : users) {
        streams.add(() -> liveUpdates(env, user));
      }
      for (String user : users) {
        streams.add(() -> restartUpdates(env, user));
      }
      List<List<Sample>> results = run(streams);
      List<Sample> live = new ArrayList<>();
      List<Sample> restarted = new ArrayList<>();
      for (int i = 0; i < results.size(); i++) {
        (i < STREAMS ? live : restarted).addAll(results.get(i));
      }

      System.out.printf(
          "%n%d × %d updates per kind, both kinds at once, in %d s; milliseconds%n",
          STREAMS, UPDATES, (System.nanoTime() - t0) / 1_000_000_000);
      report("Live: store write -> operator updated the session Secret", live, true);
      report("Live: store write -> new value in the session's file", live, false);
      report("reference 1: store write -> stale: true on an OnRestart session", restarted, true);
      report("reference 2: restart request -> new value in the new pod's file", restarted, false);
      System.out.printf(
          "Live file / stale mark: p50 %.2f, p99 %.2f%n",
          (double) percentile(live, false, 50) / percentile(restarted, true, 50),
          (double) percentile(live, false, 99) / percentile(restarted, true, 99));
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
      }
    }
  }

  private interface Stream {
    List<Sample> updates() throws Exception;
  }

  private static List<List<Sample>> run(List<Stream> streams) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(streams.size());
    try {
      List<Future<List<Sample>>> futures = new ArrayList<>();
      for (Stream stream : streams) {
        futures.add(pool.submit(stream::updates));
      }
      List<List<Sample>> all = new ArrayList<>();
      for (Future<List<Sample>> f : futures) {
        all.add(f.get());
      }
      return all;
    } finally {
      pool.shutdownNow();
    }
  }

  private static List<Sample> liveUpdates(DevEnvironment env, String user) throws Exception {
    Path file = env.kubelet().sessionDir(user, "live").resolve("value");
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < UPDATES; i++) {
      String before = secretVersion(env.client(), user);
      String next = value();
      long written = put(env, user, "LIVE", next);
      await(() -> !before.equals(secretVersion(env.client(), user)), "operator: " + user);
      long operator = System.nanoTime();
      await(() -> next.equals(read(file)), "file: " + user);
      long delivered = System.nanoTime();
      samples.add(new Sample((operator - written) / 1_000_000, (delivered - written) / 1_000_000));
      Thread.sleep(ThreadLocalRandom.current().nextLong(MAX_PAUSE_MILLIS));
    }
    return samples;
  }

  private static List<Sample> restartUpdates(DevEnvironment env, String user) throws Exception {
    Path file = env.kubelet().sessionDir(user, "restarted").resolve("value");
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < UPDATES; i++) {
      String next = value();
      long written = put(env, user, "RESTARTED", next);
      await(() -> stale(env.client(), user), "stale mark: " + user);
      long marked = System.nanoTime();
      restart(env.client(), user, Integer.toString(i));
      await(() -> next.equals(read(file)), "restart: " + user);
      samples.add(
          new Sample((marked - written) / 1_000_000, (System.nanoTime() - marked) / 1_000_000));
      await(() -> !stale(env.client(), user), "stale mark cleared: " + user);
      Thread.sleep(ThreadLocalRandom.current().nextLong(MAX_PAUSE_MILLIS));
    }
    return samples;
  }

  /** Sets the restart annotation, again on a conflict with the operator's status writes. */
  private static void restart(KubernetesClient client, String user, String round) {
    for (int attempt = 1; ; attempt++) {
      try {
        client
            .resources(NotebookSession.class)
            .inNamespace(user)
            .withName("restarted")
            .edit(
                s -> {
                  Map<String, String> annotations = new HashMap<>();
                  if (s.getMetadata().getAnnotations() != null) {
                    annotations.putAll(s.getMetadata().getAnnotations());
                  }
                  annotations.put(ObjectKeys.REFRESH, round);
                  s.getMetadata().setAnnotations(annotations);
                  return s;
                });
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 10) {
          throw e;
        }
      }
    }
  }

  private static NotebookSession session(String user, String name, String secret, Refresh refresh) {
    NotebookSession s = new NotebookSession();
    s.getMetadata().setNamespace(user);
    s.getMetadata().setName(name);
    NotebookSessionSpec spec = new NotebookSessionSpec();
    spec.setUser(user);
    spec.setImage("quay.io/jupyter/minimal-notebook:2024-12-02");
    spec.setSecrets(
        new SecretsSpec(null, null, null, refresh, List.of(new SecretItem(secret, "value"))));
    s.setSpec(spec);
    return s;
  }

  private static boolean stale(KubernetesClient client, String user) {
    NotebookSession s =
        client.resources(NotebookSession.class).inNamespace(user).withName("restarted").get();
    return s.getStatus() != null
        && s.getStatus().getSecrets() != null
        && s.getStatus().getSecrets().stream().anyMatch(m -> Boolean.TRUE.equals(m.getStale()));
  }

  private static String secretVersion(KubernetesClient client, String user) {
    Secret s = client.secrets().inNamespace(user).withName(SessionSecrets.liveName("live")).get();
    return s == null ? "" : s.getMetadata().getResourceVersion();
  }

  private static String value() {
    return "bench-" + UUID.randomUUID();
  }

  /** Stores a value through the secrets API; returns when the API answered (nanoTime). */
  private static long put(DevEnvironment env, String user, String name, String value)
      throws Exception {
    int status = DevApi.put(env, user, name, value);
    long answered = System.nanoTime();
    if (status / 100 != 2) {
      throw new IllegalStateException("PUT " + name + " for " + user + ": " + status);
    }
    return answered;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (NoSuchFileException e) {
      return null;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WITHIN.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no " + what + " within " + WITHIN);
      }
      Thread.sleep(50);
    }
  }

  private static long percentile(List<Sample> samples, boolean first, int p) {
    long[] s =
        samples.stream()
            .mapToLong(x -> first ? x.firstMillis() : x.fileMillis())
            .sorted()
            .toArray();
    return s[(int) Math.ceil(s.length * p / 100.0) - 1];
  }

  private static void report(String label, List<Sample> samples, boolean first) {
    long[] s =
        samples.stream()
            .mapToLong(x -> first ? x.firstMillis() : x.fileMillis())
            .sorted()
            .toArray();
    System.out.printf(
        "%-72s p50 %6d   p99 %6d   min %6d   max %6d   (%d updates)%n",
        label,
        percentile(samples, first, 50),
        percentile(samples, first, 99),
        s[0],
        s[s.length - 1],
        s.length);
    System.out.println("  all: " + Arrays.toString(s));
  }
}
