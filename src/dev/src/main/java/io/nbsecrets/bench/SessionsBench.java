package io.nbsecrets.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.dev.ControlPlaneDev;
import io.nbsecrets.dev.DevAssembly;
import io.nbsecrets.dev.DevEnvironment;
import io.nbsecrets.dev.NodeStandIn;
import io.nbsecrets.http.Probes;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.operator.Labels;
import io.nbsecrets.operator.Workload;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code nbsecrets bench sessions}: many NotebookSessions created at once, a burst of init-key
 * requests, and the secrets API under concurrent users. The last line sums the first part up:
 * {@code sessions: n=N secrets=K warm_up=W written_s=S ready_s=S operator_cpu_s=S
 * operator_requests=R operator_writes=W}; with {@code --rounds}, one such line per round, each with
 * {@code round=R} after {@code warm_up}.
 *
 * <ol>
 *   <li><b>Sessions.</b> {@code --sessions} (1,000) sessions of {@code --secrets} (10) secrets
 *       each, spread over {@code --users} (50) users, created at once by 16 threads. Measured: the
 *       time until the operator has written every session's StatefulSet, until every session is
 *       {@code SecretsReady}, and until every session is {@code Ready}; the CPU time of each
 *       process; the operator's heap after a full GC ({@code jcmd}) before, after, and again at the
 *       end; every client's Kubernetes API requests and writes per session.
 *   <li><b>Init-key burst</b> (control plane only: it needs pod-bound tokens that the real API
 *       server validates): one projected token per pod of the first measured round (TokenRequest,
 *       as the kubelet does, made before the clock starts), then one {@code POST
 *       /api/v1/init/user-key} per pod, 50 at a time. Measured: throughput, p50/p99, the API's CPU
 *       and its Kubernetes API requests per call.
 *   <li><b>Secrets API under load:</b> each of the 50 users, concurrently, PUTs and GETs a secret
 *       for {@code --load-seconds} (15). Measured: operations per second, p50/p99 of each, the CPU
 *       of each process.
 * </ol>
 *
 * <p>Two targets: by default it runs the product as {@code dev --control-plane} does (real etcd,
 * kube-apiserver and kube-controller-manager; the chart's operator and API containers as processes
 * with the chart's arguments, RBAC and admission policy; the image's JVM flags and the collector
 * the JVM chooses in a container of the chart's memory limit (the serial one); the store is the
 * chart's default, Kubernetes Secrets). The node stand-in reports each session pod Ready without
 * running its init step: on a cluster the nodes run them, and this machine's two cores would
 * measure 1,000 JVM starts instead of the control plane (the init-key burst measures their cost to
 * the API). With {@code --no-node} there is none: the pods stay Pending, as on the control plane
 * without nodes where issue 14's baseline was taken, and each burst is followed until every session
 * is {@code SecretsReady}. Requests are counted from the API server's audit log, by user. {@code
 * --mock} runs the dev assembly (the Fabric8 mock API server, everything in this JVM; the kubelet
 * stand-in runs each init step in-process); requests are counted by User-Agent, and CPU is this
 * whole JVM's.
 *
 * <p>Run: {@code java -jar target/nbsecrets.jar bench sessions [--sessions 1000] [--mock]}, from
 * the repository's root (the chart is installed from {@code charts/nbsecrets}). Results:
 * docs/benchmarks.md.
 */
@Command(
    name = "sessions",
    mixinStandardHelpOptions = true,
    description =
        "Many NotebookSessions at once on a real control plane (or --mock): time until all are"
            + " Ready, CPU per process, the operator's heap and API requests per session; then a"
            + " burst of init-key requests and the secrets API under concurrent users.")
final class SessionsBench implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private static final String OPERATOR_SA = "system:serviceaccount:nbsecrets:nbsecrets-operator";
  private static final String API_SA = "system:serviceaccount:nbsecrets:nbsecrets-api";
  private static final Duration WITHIN = Duration.ofMinutes(10);

  @Option(
      names = "--sessions",
      defaultValue = "1000",
      description = "NotebookSessions created at once (1-5000).")
  int sessions;

  @Option(
      names = "--users",
      defaultValue = "50",
      description = "Users (each with a namespace) the sessions are spread over (1-200).")
  int users;

  @picocli.CommandLine.Mixin SessionSize size = new SessionSize(10, 1000);

  @Option(
      names = "--mock",
      description =
          "Run on the dev assembly (the Fabric8 mock API server, all roles in this JVM) instead of"
              + " a real control plane.")
  boolean mock;

  @Option(
      names = "--controller-qps",
      defaultValue = "0",
      description =
          "kube-controller-manager's --kube-api-qps (burst twice that); 0 keeps its default (20),"
              + " which paces the StatefulSet controller's pods.")
  int controllerQps;

  @Option(
      names = "--no-node",
      description =
          "No node stand-in: session pods stay Pending, as on a control plane without nodes (the"
              + " way issue 14's baseline was taken). Each burst is followed until every session is"
              + " SecretsReady (its objects written, its first status), not Ready; the warm-up"
              + " too; the init-key burst is left out (no pod runs).")
  boolean noNode;

  @Option(
      names = "--load-seconds",
      defaultValue = "15",
      description = "How long the users PUT and GET their secrets (1-600).")
  int loadSeconds;

  @Option(
      names = "--warm-up",
      defaultValue = "0",
      description =
          "Sessions created (named warm####) and waited for until Ready before the measured"
              + " burst, and left running: the operator has then compiled part of its hot code"
              + " (--rounds shows how much is left). 0 (default): a cold operator, as just after"
              + " a start (0-5000).")
  int warmUp;

  @Option(
      names = "--rounds",
      defaultValue = "1",
      description =
          "Measured bursts of --sessions each, one after the other, each left running (1-10): the"
              + " later ones show the operator as it runs once its JIT has compiled what a burst"
              + " makes hot. Each prints its own figures and summary line; the init-key burst uses"
              + " the first one's pods.")
  int rounds;

  @Option(
      names = "--hold",
      defaultValue = "0",
      description =
          "Seconds to keep everything running after the measurements, the deletion's too (to"
              + " inspect it, or to take a profile with jcmd).")
  int hold;

  @Option(
      names = "--delete",
      description =
          "At the end, delete every session at once (warm-up and rounds) and follow until they"
              + " and all they made are gone: the time, the operator's CPU and requests, and its"
              + " heap after a full GC against the heap at the start (is it flat?).")
  boolean delete;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description =
          "A chart value for the control plane's helm install, as helm's --set (repeatable; a"
              + " comma in a value is written \\, as helm wants); for example"
              + " operator.extraEnv[0].name=JDK_JAVA_OPTIONS and"
              + " operator.extraEnv[0].value=-XX:TieredStopAtLevel=1 to try JVM flags.")
  Map<String, String> chartValues = new LinkedHashMap<>();

  @Option(
      names = "--operator-image-root",
      paramLabel = "DIR",
      description =
          "Run the operator as the nbsecrets image runs it: DIR is the image's root filesystem"
              + " (buildah mount), with /proc and /dev mounted in it; the operator runs its entry"
              + " point, its JVM and its archives there (chroot, as the image's user). Needs root."
              + " e2e/node/images.sh trains the operator's AOT cache this way.")
  Path operatorImageRoot;

  @Spec CommandSpec spec;

  private PrintWriter out;

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    try {
      Bench.requireRange("--sessions", sessions, 1, 5000);
      Bench.requireRange("--users", users, 1, 200);
      Bench.requireRange("--load-seconds", loadSeconds, 1, 600);
      Bench.requireRange("--warm-up", warmUp, 0, 5000);
      Bench.requireRange("--rounds", rounds, 1, 10);
      size.check();
      if (mock && !chartValues.isEmpty()) {
        throw new IllegalArgumentException(
            "--set needs the control plane: the chart is not used with --mock");
      }
      if (mock && operatorImageRoot != null) {
        throw new IllegalArgumentException(
            "--operator-image-root needs the control plane: --mock runs every role in this JVM");
      }
      if (mock && noNode) {
        throw new IllegalArgumentException(
            "--no-node needs the control plane: the mock's kubelet stand-in is part of it");
      }
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("bench sessions: " + e.getMessage());
      return 2;
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < users; i++) {
      names.add(String.format("user%02d", i));
    }
    Path dir = Files.createTempDirectory("nbsecrets-sessions-bench");
    Thread onSignal = new Thread(() -> removeAfterControlPlane(dir), "bench-folder");
    Runtime.getRuntime().addShutdownHook(onSignal);
    try {
      return runIn(dir, names);
    } finally {
      // The control plane removes its own folder (on a signal too); this is the rest: the mock's
      // files, and the folder itself.
      ControlPlane.removeUnlessKept(dir);
      try {
        Runtime.getRuntime().removeShutdownHook(onSignal);
      } catch (IllegalStateException e) {
        // already shutting down: the hook finds nothing left to remove
      }
    }
  }

  /**
   * On a signal: once the control plane's own shutdown hook has stopped its processes and removed
   * its folder (hooks run concurrently; at most 30 s), removes the rest of the bench's folder.
   */
  private static void removeAfterControlPlane(Path dir) {
    Path controlPlane = dir.resolve("control-plane");
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (Files.exists(controlPlane) && System.nanoTime() - deadline < 0) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    ControlPlane.removeUnlessKept(dir);
  }

  /** Runs the bench with its files in {@code dir}. */
  private int runIn(Path dir, List<String> names) throws Exception {
    long started = System.nanoTime();
    if (mock) {
      try (DevEnvironment env =
          DevEnvironment.start(DevEnvironment.Options.defaults(dir).withUsers(names))) {
        out.printf("dev environment (mock) started in %d ms%n", millisSince(started));
        RequestLog log = RequestLog.drain(env);
        Target t =
            new Target(
                env,
                Map.of("bench JVM (all roles, mock API server)", ProcessHandle.current()),
                ProcessHandle.current(),
                null,
                log::counts,
                log::mark,
                () -> reconcileCount(env.registry().scrape()));
        run(names, t);
      }
      return 0;
    }
    Path bin =
        ControlPlane.binaries()
            .orElseThrow(
                () ->
                    new ParameterException(
                        spec.commandLine(),
                        "no control-plane binaries: run e2e/control-plane/build.sh, set "
                            + ControlPlane.BIN_ENV
                            + ", or use --mock"));
    try (ControlPlaneDev dev =
        ControlPlaneDev.start(
            bin,
            dir,
            names,
            SessionKeyAlgorithm.DEFAULT,
            noNode ? ControlPlaneDev.Node.NONE : ControlPlaneDev.Node.READY_WITHOUT_INIT,
            controllerQps <= 0
                ? List.of()
                : List.of(
                    "--kube-api-qps=" + controllerQps, "--kube-api-burst=" + 2 * controllerQps),
            chartValues,
            operatorImageRoot)) {
      out.printf("control plane and chart started in %d ms%n", millisSince(started));
      ControlPlane cp = dev.controlPlane();
      Map<String, ProcessHandle> processes = new LinkedHashMap<>();
      processes.put("operator", dev.operator().process());
      processes.put("api", dev.api().process());
      processes.put("kube-apiserver", cp.process("kube-apiserver"));
      processes.put("etcd", cp.process("etcd"));
      processes.put("kube-controller-manager", cp.process("kube-controller-manager"));
      // Not the product: the node stand-in (pods made ready), the sessions' creation, the watches.
      processes.put("bench JVM (node stand-in, load)", ProcessHandle.current());
      AuditLog audit = new AuditLog(cp.auditLog());
      Target t =
          new Target(
              dev,
              processes,
              dev.operator().process(),
              dev.api().process(),
              audit::counts,
              audit::mark,
              () -> reconcileCount(metrics(dev.operator().url("management"))));
      run(names, t);
    }
    return 0;
  }

  /** What a run measures on: the assembly, its processes, and who made which requests. */
  private record Target(
      DevAssembly dev,
      Map<String, ProcessHandle> processes,
      ProcessHandle operator,
      ProcessHandle api,
      Supplier<Map<String, Counts>> requestsSinceMark,
      Runnable mark,
      Supplier<Long> reconciles) {}

  /** Requests and writes of one client (a user in the audit log, a User-Agent on the mock). */
  record Counts(Map<String, Integer> byVerbAndResource) {
    int total() {
      return byVerbAndResource.values().stream().mapToInt(Integer::intValue).sum();
    }

    int writes() {
      return byVerbAndResource.entrySet().stream()
          .filter(e -> isWrite(e.getKey()))
          .mapToInt(Map.Entry::getValue)
          .sum();
    }

    static boolean isWrite(String verbAndResource) {
      String verb = verbAndResource.split(" ", 2)[0];
      return switch (verb) {
        case "create", "update", "patch", "delete", "deletecollection" -> true;
        default -> false;
      };
    }
  }

  private void run(List<String> users, Target t) throws Exception {
    KubernetesClient admin = t.dev().client();
    String api = t.dev().apiUrl();
    Map<String, String> tokens = t.dev().tokens();
    long heapAtStart = heapAfterGc(t.operator());
    if (heapAtStart >= 0) {
      out.printf("operator heap after full GC, at the start: %.1f MiB%n", heapAtStart / 1048576.0);
    }

    long t0 = System.nanoTime();
    storeSecrets(api, tokens, users);
    out.printf(
        "stored %d secrets of %d characters for each of %d users in %d ms%n",
        size.secrets, size.valueChars, users.size(), millisSince(t0));

    if (warmUp > 0) {
      long w = System.nanoTime();
      Map<String, Long> cpuWarm = cpu(t.processes());
      try (Progress warm = Progress.start(admin, WARM_UP)) {
        createSessions(admin, users, WARM_UP, warmUp);
        warm.await(p -> (noNode ? p.secretsReady : p.ready) >= warmUp, w, out);
      }
      Map<String, Long> cpuWarmed = cpu(t.processes());
      out.printf(
          "warm-up: %d sessions %s in %.1f s (operator CPU %.1f s), left running%n",
          warmUp,
          noNode ? "SecretsReady" : "Ready",
          (System.nanoTime() - w) / 1e9,
          operatorCpu(t, cpuWarm, cpuWarmed));
      // Every process's, so that a change that moves the operator's work (its JIT's) from the
      // burst into the warm-up shows as such.
      printCpu("during the warm-up", cpuWarm, cpuWarmed);
    }
    List<String> summaries = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      try (Progress progress = Progress.start(admin, roundPrefix(round))) {
        summaries.add(burst(t, users, progress, round));
      }
    }
    if (t.api() != null && !noNode) {
      initKeyBurst(admin, api, t);
    }
    secretsApiLoad(api, tokens, users, t);
    long heapLater = heapAfterGc(t.operator());
    if (heapLater >= 0) {
      out.printf(
          "%noperator heap after full GC, after the bursts (%s sessions, later): %.1f MiB%n",
          rounds > 1 ? "all rounds'" : "the same", heapLater / 1048576.0);
    }
    if (delete) {
      summaries.add(deleteAll(t, users, heapAtStart, heapLater));
    }
    if (hold > 0) {
      out.printf("holding for %d s (pids: %s)%n", hold, pids(t.processes()));
      Thread.sleep(hold * 1000L);
    }
    summaries.forEach(out::println);
  }

  /**
   * One measured burst: {@code --sessions} sessions named {@code prefix####} created at once and
   * followed until all are Ready (with {@code --no-node}, SecretsReady); prints its figures and
   * returns its summary line.
   */
  private String burst(Target t, List<String> users, Progress progress, int round)
      throws Exception {
    KubernetesClient admin = t.dev().client();
    Thread.sleep(3000); // let the first store poll and the informers settle
    long heapBefore = heapAfterGc(t.operator());
    Map<String, Long> cpuBefore = cpu(t.processes());
    Optional<JvmThreads.Cpu> jvmBefore = JvmThreads.cpu(t.operator());
    long reconcilesBefore = t.reconciles().get();
    t.mark().run();

    Optional<MachineCpu.Reading> machineBefore = MachineCpu.read();
    long begin = System.nanoTime();
    createSessions(admin, users, progress.prefix, sessions);
    long created = System.nanoTime();
    long stsAt = progress.await(p -> p.statefulSets >= sessions, begin, out);
    // Read as soon as the StatefulSets are all there (the poll's lag, at most its period, after).
    Optional<MachineCpu.Reading> machineWritten = MachineCpu.read();
    Map<String, Long> cpuWritten = cpu(t.processes());
    long secretsAt = progress.await(p -> p.secretsReady >= sessions, begin, out);
    long readyAt = noNode ? secretsAt : progress.await(p -> p.ready >= sessions, begin, out);
    Thread.sleep(3000); // the last status writes and events
    Map<String, Long> cpuAfter = cpu(t.processes());
    Optional<JvmThreads.Cpu> jvmAfter = JvmThreads.cpu(t.operator());
    long reconcilesAfter = t.reconciles().get();
    Map<String, Counts> requests = t.requestsSinceMark().get();
    long heapAfter = heapAfterGc(t.operator());

    out.printf(
        "%n== %d sessions of %d secrets, %d users%s%s ==%n",
        sessions,
        size.secrets,
        users.size(),
        rounds > 1 ? ", round " + round + " of " + rounds : "",
        warmUp > 0 || round > 1
            ? ", after "
                + (warmUp > 0 ? warmUp + " warm-up sessions" : "")
                + (warmUp > 0 && round > 1 ? " and " : "")
                + (round > 1 ? (round - 1) * sessions + " sessions of earlier rounds" : "")
            : ", cold operator");
    out.printf("created (all POSTs answered) %.1f s%n", (created - begin) / 1e9);
    out.printf("all StatefulSets written   %.1f s%n", (stsAt - begin) / 1e9);
    out.printf("all SecretsReady=True      %.1f s%n", (secretsAt - begin) / 1e9);
    if (noNode) {
      out.println("all Ready=True             (no node: the pods stay Pending)");
    } else {
      out.printf("all Ready=True             %.1f s%n", (readyAt - begin) / 1e9);
    }
    // Whether the writes waited for the machine: its idle time, and who used the rest.
    if (machineBefore.isPresent() && machineWritten.isPresent()) {
      MachineCpu.Reading m = machineWritten.get().minus(machineBefore.get());
      out.printf(
          "machine CPU until all StatefulSets written: %.0f%% busy (%.1f of %.1f core-seconds,"
              + " %d cores)%n",
          100 * m.busyShare(), m.busy(), m.busy() + m.idle(), m.cores());
    }
    printCpu("until all StatefulSets written", cpuBefore, cpuWritten);
    printCpu(
        "during the burst (until all " + (noNode ? "SecretsReady" : "Ready") + ", plus 3 s)",
        cpuBefore,
        cpuAfter);
    printJvmThreads(jvmBefore, jvmAfter);
    if (heapBefore >= 0) {
      out.printf(
          "operator heap after full GC: before %.1f MiB, after %.1f MiB (%+.1f KiB per session)%n",
          heapBefore / 1048576.0,
          heapAfter / 1048576.0,
          (heapAfter - heapBefore) / 1024.0 / sessions);
    }
    if (reconcilesBefore >= 0 && reconcilesAfter >= 0) {
      out.printf(
          "operator reconciles per session: %.2f%n",
          (reconcilesAfter - reconcilesBefore) / (double) sessions);
    }
    printRequests(requests, sessions, "per session");
    Counts operatorRequests = operatorCounts(requests);
    String summary =
        String.format(
            java.util.Locale.ROOT,
            "sessions: n=%d secrets=%d warm_up=%d%s written_s=%.1f %s=%.1f"
                + " operator_cpu_s=%.1f operator_requests=%.2f operator_writes=%.2f",
            sessions,
            size.secrets,
            warmUp,
            rounds > 1 ? " round=" + round : "",
            (stsAt - begin) / 1e9,
            noNode ? "secrets_ready_s" : "ready_s",
            (readyAt - begin) / 1e9,
            operatorCpu(t, cpuBefore, cpuAfter),
            operatorRequests.total() / (double) sessions,
            operatorRequests.writes() / (double) sessions);
    return summary;
  }

  /**
   * Deletes every session at once (one delete-collection per user's namespace) and follows until
   * the sessions and everything made for them (StatefulSets, Services, Secrets, pods) are gone;
   * prints its figures and returns its summary line.
   */
  private String deleteAll(Target t, List<String> users, long heapAtStart, long heapWithAll)
      throws Exception {
    KubernetesClient admin = t.dev().client();
    int total = warmUp + rounds * sessions;
    try (Remaining remaining = Remaining.start(admin, users)) {
      Thread.sleep(3000); // let the informers settle
      Map<String, Long> cpuBefore = cpu(t.processes());
      Optional<JvmThreads.Cpu> jvmBefore = JvmThreads.cpu(t.operator());
      long reconcilesBefore = t.reconciles().get();
      t.mark().run();
      long begin = System.nanoTime();
      concurrently(
          16, users, user -> admin.resources(NotebookSession.class).inNamespace(user).delete());
      // kube-controller-manager's garbage collector deletes what the sessions made at its client's
      // pace (--kube-api-qps, 20 by default): about half a second per session on this tier.
      Duration within = Duration.ofSeconds(Math.max(WITHIN.toSeconds(), total));
      long sessionsGoneAt = remaining.await(r -> r.sessions() == 0, begin, within, out);
      long allGoneAt = remaining.await(Remaining.Counts::none, begin, within, out);
      Thread.sleep(3000); // the last events
      Map<String, Long> cpuAfter = cpu(t.processes());
      Optional<JvmThreads.Cpu> jvmAfter = JvmThreads.cpu(t.operator());
      long reconcilesAfter = t.reconciles().get();
      Map<String, Counts> requests = t.requestsSinceMark().get();
      long heapAfter = heapAfterGc(t.operator());
      Thread.sleep(15_000); // whatever the operator lets go of only later shows in the second
      long heapLater = heapAfterGc(t.operator());

      out.printf("%n== all %d sessions deleted at once ==%n", total);
      out.printf("all sessions gone           %.1f s%n", (sessionsGoneAt - begin) / 1e9);
      out.printf(
          "all they made gone          %.1f s (StatefulSets, Services, Secrets, pods)%n",
          (allGoneAt - begin) / 1e9);
      printCpu("during the deletion (until all gone, plus 3 s)", cpuBefore, cpuAfter);
      printJvmThreads(jvmBefore, jvmAfter);
      if (reconcilesBefore >= 0 && reconcilesAfter >= 0) {
        out.printf(
            "operator reconciles per deleted session: %.2f%n",
            (reconcilesAfter - reconcilesBefore) / (double) total);
      }
      printRequests(requests, total, "per deleted session");
      if (heapAtStart >= 0 && heapAfter >= 0) {
        out.printf(
            "operator heap after full GC: at the start %.1f MiB, with all sessions %.1f MiB,"
                + " after the deletion %.1f MiB (%+.2f KiB per deleted session), 15 s later"
                + " %.1f MiB%n",
            heapAtStart / 1048576.0,
            heapWithAll / 1048576.0,
            heapAfter / 1048576.0,
            (heapAfter - heapAtStart) / 1024.0 / total,
            heapLater / 1048576.0);
      }
      Counts operatorRequests = operatorCounts(requests);
      return String.format(
          java.util.Locale.ROOT,
          "deletion: sessions=%d gone_s=%.1f operator_cpu_s=%.1f operator_requests=%.2f"
              + " operator_writes=%.2f heap_start_mib=%.1f heap_end_mib=%.1f heap_later_mib=%.1f",
          total,
          (allGoneAt - begin) / 1e9,
          operatorCpu(t, cpuBefore, cpuAfter),
          operatorRequests.total() / (double) total,
          operatorRequests.writes() / (double) total,
          heapAtStart / 1048576.0,
          heapAfter / 1048576.0,
          heapLater / 1048576.0);
    }
  }

  /**
   * What is left of the sessions in the users' namespaces, from informers (the bench's own, as an
   * admin): the sessions, and the objects labelled as made for one.
   */
  private static final class Remaining implements AutoCloseable {
    record Counts(int sessions, int statefulSets, int services, int secrets, int pods) {
      boolean none() {
        return sessions + statefulSets + services + secrets + pods == 0;
      }
    }

    private final Set<String> namespaces;
    private final List<SharedIndexInformer<? extends HasMetadata>> informers = new ArrayList<>();

    private Remaining(KubernetesClient admin, List<String> users) {
      namespaces = Set.copyOf(users);
      informers.add(admin.resources(NotebookSession.class).inAnyNamespace().inform());
      informers.add(
          admin.apps().statefulSets().inAnyNamespace().withLabel(Labels.SESSION).inform());
      informers.add(admin.services().inAnyNamespace().withLabel(Labels.SESSION).inform());
      informers.add(admin.secrets().inAnyNamespace().withLabel(Labels.SESSION).inform());
      informers.add(admin.pods().inAnyNamespace().withLabel(Labels.SESSION).inform());
    }

    static Remaining start(KubernetesClient admin, List<String> users) {
      return new Remaining(admin, users);
    }

    private int count(int i) {
      return (int)
          informers.get(i).getStore().list().stream()
              .filter(o -> namespaces.contains(o.getMetadata().getNamespace()))
              .count();
    }

    Counts now() {
      return new Counts(count(0), count(1), count(2), count(3), count(4));
    }

    long await(
        java.util.function.Predicate<Counts> done, long begin, Duration within, PrintWriter out)
        throws Exception {
      return SessionsBench.await(
          this::now, done, begin, begin + within.toNanos(), "not gone within " + within, out);
    }

    @Override
    public void close() {
      informers.forEach(SharedIndexInformer::close);
    }
  }

  private void storeSecrets(String api, Map<String, String> tokens, List<String> users)
      throws Exception {
    List<String[]> puts = new ArrayList<>();
    for (String user : users) {
      for (int i = 0; i < size.secrets; i++) {
        puts.add(new String[] {user, "S" + i});
      }
    }
    String value = "x".repeat(size.valueChars);
    concurrently(
        8,
        puts,
        p -> {
          int code = put(api, tokens.get(p[0]), p[1], value).statusCode();
          if (code != 201 && code != 200) {
            throw new IllegalStateException("PUT " + p[0] + "/" + p[1] + ": " + code);
          }
        });
  }

  /** The names of the first measured round's sessions ({@link #roundPrefix}). */
  private static final String MEASURED = "nb";

  /**
   * The names of round {@code round}'s sessions: {@code nb####}, then {@code nb2####}, ...; with
   * {@link #named}, no round's names are another's (nor the warm-up's, {@code warm####}).
   */
  static String roundPrefix(int round) {
    return round == 1 ? MEASURED : MEASURED + round;
  }

  /** Whether {@code name} is {@code prefix} and four digits. */
  static boolean named(String prefix, String name) {
    return name.length() == prefix.length() + 4
        && name.startsWith(prefix)
        && name.substring(prefix.length()).chars().allMatch(Character::isDigit);
  }

  private static final String WARM_UP = "warm";

  /** Whether {@code pod} is the pod of one of round {@code round}'s sessions. */
  static boolean isPodOfRound(int round, String pod) {
    int dash = pod.lastIndexOf('-');
    String session = dash < 0 ? pod : pod.substring(0, dash);
    return named(roundPrefix(round), session) && pod.equals(Workload.podName(session));
  }

  private void createSessions(KubernetesClient admin, List<String> users, String prefix, int n)
      throws Exception {
    List<NotebookSession> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(
          session(users.get(i % users.size()), String.format("%s%04d", prefix, i), size.secrets));
    }
    concurrently(16, all, s -> admin.resource(s).create());
  }

  private static NotebookSession session(String user, String name, int secrets) {
    NotebookSession session = new NotebookSession();
    session.getMetadata().setNamespace(user);
    session.getMetadata().setName(name);
    NotebookSessionSpec spec = new NotebookSessionSpec();
    spec.setUser(user);
    spec.setImage("quay.io/jupyter/minimal-notebook:2024-12-02");
    List<SecretItem> items = new ArrayList<>();
    for (int i = 0; i < secrets; i++) {
      items.add(new SecretItem("S" + i, null));
    }
    spec.setSecrets(new SecretsSpec(null, null, items));
    session.setSpec(spec);
    return session;
  }

  /**
   * Counts of the progress of the sessions named {@code prefix####}, from informers (the bench's
   * own, as an admin).
   */
  private static final class Progress implements AutoCloseable {
    final String prefix;
    final SharedIndexInformer<NotebookSession> sessions;
    final SharedIndexInformer<io.fabric8.kubernetes.api.model.apps.StatefulSet> statefulSets;

    int statefulSets() {
      return (int)
          statefulSets.getStore().list().stream()
              .filter(s -> ours(s.getMetadata().getName()))
              .count();
    }

    boolean ours(String name) {
      return named(prefix, name);
    }

    private Progress(KubernetesClient admin, String prefix) {
      this.prefix = prefix;
      sessions = admin.resources(NotebookSession.class).inAnyNamespace().inform();
      statefulSets =
          admin
              .apps()
              .statefulSets()
              .inAnyNamespace()
              .withLabel(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE)
              .inform();
    }

    static Progress start(KubernetesClient admin, String prefix) {
      return new Progress(admin, prefix);
    }

    record Snapshot(int statefulSets, int secretsReady, int ready) {}

    Snapshot now() {
      int secretsReady = 0;
      int ready = 0;
      for (NotebookSession s : sessions.getStore().list()) {
        if (!ours(s.getMetadata().getName())) {
          continue;
        }
        if (conditionTrue(s, "SecretsReady")) {
          secretsReady++;
        }
        if (conditionTrue(s, "Ready")) {
          ready++;
        }
      }
      return new Snapshot(statefulSets(), secretsReady, ready);
    }

    long await(java.util.function.Predicate<Snapshot> done, long begin, PrintWriter out)
        throws Exception {
      return SessionsBench.await(
          this::now,
          done,
          begin,
          System.nanoTime() + WITHIN.toNanos(),
          "not done within " + WITHIN,
          out);
    }

    @Override
    public void close() {
      sessions.close();
      statefulSets.close();
    }
  }

  /**
   * Polls {@code now} until {@code done}, printing it every 5 s (seconds since {@code begin}); the
   * time it was done ({@code System.nanoTime()}), or an exception with {@code failure} past {@code
   * deadline}.
   */
  private static <T> long await(
      Supplier<T> now,
      java.util.function.Predicate<T> done,
      long begin,
      long deadline,
      String failure,
      PrintWriter out)
      throws InterruptedException {
    long lastPrint = 0;
    while (true) {
      T state = now.get();
      if (done.test(state)) {
        return System.nanoTime();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(failure + ": " + state);
      }
      if (System.nanoTime() - lastPrint > 5_000_000_000L) {
        lastPrint = System.nanoTime();
        out.printf("  %5.1f s: %s%n", (lastPrint - begin) / 1e9, state);
      }
      Thread.sleep(200);
    }
  }

  private static boolean conditionTrue(NotebookSession s, String type) {
    return s.getStatus() != null
        && s.getStatus().getConditions() != null
        && s.getStatus().getConditions().stream()
            .anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** A burst of init-key requests, one per session pod, 50 at a time. */
  private void initKeyBurst(KubernetesClient admin, String api, Target t) throws Exception {
    List<Pod> pods =
        admin
            .pods()
            .inAnyNamespace()
            .withLabel(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE)
            .list()
            .getItems()
            .stream()
            .filter(p -> isPodOfRound(1, p.getMetadata().getName()))
            .toList();
    List<String> podTokens = Collections.synchronizedList(new ArrayList<>());
    concurrently(16, pods, pod -> podTokens.add(NodeStandIn.podToken(admin, pod)));
    for (int round = 1; round <= 2; round++) {
      Map<String, Long> cpuBefore = cpu(t.processes());
      t.mark().run();
      List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger refused = new AtomicInteger();
      long begin = System.nanoTime();
      concurrently(
          50,
          podTokens,
          token -> {
            long start = System.nanoTime();
            HttpResponse<String> r =
                send(
                    HttpRequest.newBuilder(URI.create(api + "/api/v1/init/user-key"))
                        .header("Authorization", "Bearer " + token)
                        .POST(HttpRequest.BodyPublishers.noBody()));
            latencies.add(System.nanoTime() - start);
            if (r.statusCode() != 200) {
              refused.incrementAndGet();
            }
          });
      double seconds = (System.nanoTime() - begin) / 1e9;
      Map<String, Long> cpuAfter = cpu(t.processes());
      out.printf(
          "%n== init-key burst %s: %d requests, 50 at a time ==%n",
          round == 1 ? "(first use of each token)" : "(the same tokens again)", podTokens.size());
      out.printf(
          "%.1f s, %.0f requests/s; latency p50 %.1f ms, p99 %.1f ms; not 200: %d%n",
          seconds,
          podTokens.size() / seconds,
          percentile(latencies, 50),
          percentile(latencies, 99),
          refused.get());
      out.printf(
          "CPU: api %.1f s, kube-apiserver %.1f s, etcd %.1f s%n",
          (cpuAfter.get("api") - cpuBefore.get("api")) / 1e9,
          (cpuAfter.get("kube-apiserver") - cpuBefore.get("kube-apiserver")) / 1e9,
          (cpuAfter.get("etcd") - cpuBefore.get("etcd")) / 1e9);
      printRequests(t.requestsSinceMark().get(), podTokens.size(), "per init-key request");
    }
  }

  /** Each user PUTs and GETs its own secret in a loop for 15 s, all users at once. */
  private void secretsApiLoad(String api, Map<String, String> tokens, List<String> users, Target t)
      throws Exception {
    Map<String, Long> cpuBefore = cpu(t.processes());
    List<Long> puts = Collections.synchronizedList(new ArrayList<>());
    List<Long> gets = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger failed = new AtomicInteger();
    long end = System.nanoTime() + Duration.ofSeconds(loadSeconds).toNanos();
    long begin = System.nanoTime();
    concurrently(
        users.size(),
        users,
        user -> {
          String token = tokens.get(user);
          int i = 0;
          while (System.nanoTime() < end) {
            long a = System.nanoTime();
            int put = put(api, token, "LOAD", "value-" + i++).statusCode();
            long b = System.nanoTime();
            int get =
                send(HttpRequest.newBuilder(URI.create(api + "/api/v1/secrets/LOAD"))
                        .header("Authorization", "Bearer " + token)
                        .GET())
                    .statusCode();
            long c = System.nanoTime();
            puts.add(b - a);
            gets.add(c - b);
            if (put >= 300 || get != 200) {
              failed.incrementAndGet();
            }
          }
        });
    double seconds = (System.nanoTime() - begin) / 1e9;
    Map<String, Long> cpuAfter = cpu(t.processes());
    out.printf(
        "%n== secrets API: %d users, each PUT then GET, %d s ==%n", users.size(), loadSeconds);
    out.printf(
        "%.0f operations/s; PUT p50 %.1f ms, p99 %.1f ms; GET p50 %.1f ms, p99 %.1f ms; failed"
            + " %d of %d%n",
        (puts.size() + gets.size()) / seconds,
        percentile(puts, 50),
        percentile(puts, 99),
        percentile(gets, 50),
        percentile(gets, 99),
        failed.get(),
        puts.size() + gets.size());
    cpuBefore.forEach(
        (name, before) ->
            out.printf("  CPU %-40s %7.1f s%n", name, (cpuAfter.get(name) - before) / 1e9));
  }

  interface Work<T> {
    void run(T item) throws Exception;
  }

  private static <T> void concurrently(int threads, List<T> items, Work<T> work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (T item : items) {
        done.add(
            pool.submit(
                () -> {
                  work.run(item);
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  private static HttpResponse<String> put(String api, String token, String name, String value)
      throws IOException, InterruptedException {
    String body = JSON.writeValueAsString(Map.of("value", value));
    return send(
        HttpRequest.newBuilder(URI.create(api + "/api/v1/secrets/" + name))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(body)));
  }

  private static HttpResponse<String> send(HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return HTTP.send(
        request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static double percentile(List<Long> nanos, int p) {
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i))) / 1e6;
  }

  /**
   * The operator's requests: its ServiceAccount's on a control plane, its User-Agent's on the mock.
   */
  private static Counts operatorCounts(Map<String, Counts> requests) {
    return requests.getOrDefault(
        OPERATOR_SA, requests.getOrDefault(DevEnvironment.OPERATOR_AGENT, new Counts(Map.of())));
  }

  /** The operator's CPU (the first process measured) between two readings, in seconds. */
  private static double operatorCpu(Target t, Map<String, Long> before, Map<String, Long> after) {
    String operator = first(t.processes());
    return (after.get(operator) - before.get(operator)) / 1e9;
  }

  /** Each process's CPU between two readings. */
  private void printCpu(String when, Map<String, Long> before, Map<String, Long> after) {
    out.println("CPU " + when + ":");
    before.forEach((name, b) -> out.printf("  %-40s %7.1f s%n", name, (after.get(name) - b) / 1e9));
  }

  /** How much of the operator's CPU between two readings its JIT and its collector took. */
  private void printJvmThreads(Optional<JvmThreads.Cpu> before, Optional<JvmThreads.Cpu> after) {
    if (before.isPresent() && after.isPresent()) {
      JvmThreads.Cpu jvm = after.get().minus(before.get());
      out.printf(
          "  of the operator's: its JIT compiler threads %.1f s, its collector and VM threads"
              + " %.1f s (threads alive at both ends)%n",
          jvm.jit(), jvm.gcAndVm());
    }
  }

  private void printRequests(Map<String, Counts> requests, int per, String unit) {
    out.printf("Kubernetes API requests, %s (%d):%n", unit, per);
    requests.entrySet().stream()
        .sorted((a, b) -> b.getValue().total() - a.getValue().total())
        .limit(6)
        .forEach(
            e ->
                out.printf(
                    "  %-58s %6.2f requests, %5.2f writes%n",
                    e.getKey(),
                    e.getValue().total() / (double) per,
                    e.getValue().writes() / (double) per));
    for (String who :
        List.of(OPERATOR_SA, DevEnvironment.OPERATOR_AGENT, API_SA, DevEnvironment.API_AGENT)) {
      Counts c = requests.get(who);
      if (c != null) {
        out.printf("  %s by verb and resource:%n", who);
        new TreeMap<>(c.byVerbAndResource())
            .forEach((k, v) -> out.printf("    %-44s %6.2f%n", k, v / (double) per));
      }
    }
  }

  /** The first process measured: the operator (or, with --mock, the one JVM). */
  private static String first(Map<String, ProcessHandle> processes) {
    return processes.keySet().iterator().next();
  }

  private static String pids(Map<String, ProcessHandle> processes) {
    StringBuilder b = new StringBuilder();
    processes.forEach(
        (name, p) ->
            b.append(b.length() == 0 ? "" : ", ").append(name).append('=').append(p.pid()));
    return b.toString();
  }

  private static Map<String, Long> cpu(Map<String, ProcessHandle> processes) {
    Map<String, Long> out = new LinkedHashMap<>();
    processes.forEach(
        (name, p) -> out.put(name, p.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L)));
    return out;
  }

  private static final Pattern USED = Pattern.compile("used (\\d+)K");

  /** The operator's reconcile timer's count, in the Prometheus text of its {@code /metrics}. */
  private static final String RECONCILE_COUNT = "nbsecrets_operator_reconcile_seconds_count";

  /** The heap in use after a full GC ({@code jcmd}), in bytes; -1 when it cannot be read. */
  private long heapAfterGc(ProcessHandle p) throws IOException, InterruptedException {
    if (p.pid() == ProcessHandle.current().pid()) {
      System.gc();
      Runtime r = Runtime.getRuntime();
      return r.totalMemory() - r.freeMemory();
    }
    // The heap is read only after a full collection that jcmd reports done: a read without one
    // counts the garbage too (once, under load, 111 MiB where every other run read 56).
    for (int attempt = 1; ; attempt++) {
      Jcmd gc = jcmd(p, "GC.run");
      if (gc.exit() == 0) {
        break;
      }
      if (attempt == 3) {
        out.printf("(operator heap not read: jcmd GC.run failed: %s)%n", gc.firstLine());
        return -1;
      }
      Thread.sleep(1000);
    }
    Jcmd info = jcmd(p, "GC.heap_info");
    if (info.exit() != 0) {
      out.printf("(operator heap not read: jcmd GC.heap_info failed: %s)%n", info.firstLine());
      return -1;
    }
    return heapUsed(info.output());
  }

  /** What a {@code jcmd} call ended with, and what it printed. */
  record Jcmd(int exit, String output) {
    /** The first line that says something (jcmd's own first line is the process id). */
    String firstLine() {
      return output
          .lines()
          .map(String::strip)
          .filter(l -> !l.isEmpty() && !l.matches("\\d+:"))
          .findFirst()
          .orElse("exit " + exit);
    }
  }

  /**
   * The heap in use by {@code jcmd GC.heap_info}'s account, in bytes (-1 when it says none): the
   * sum of what each of its generations uses (G1 has one line, the serial and parallel collectors
   * one per generation), before the Metaspace, which is not heap.
   */
  static long heapUsed(String heapInfo) {
    int metaspace = heapInfo.indexOf("Metaspace");
    Matcher m = USED.matcher(metaspace < 0 ? heapInfo : heapInfo.substring(0, metaspace));
    long kib = -1;
    while (m.find()) {
      kib = Math.max(kib, 0) + Long.parseLong(m.group(1));
    }
    return kib < 0 ? -1 : kib * 1024;
  }

  /** The operator's {@code /metrics} at its management {@code url}; empty when it cannot say. */
  private static String metrics(String url) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url + Probes.METRICS))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  /**
   * How many reconciles the operator has run, by its Prometheus text (the count of {@code
   * nbsecrets_operator_reconcile_seconds}, summed over its series); -1 when the text has none.
   */
  static long reconcileCount(String prometheusText) {
    long count = -1;
    for (String line : prometheusText.split("\n")) {
      if (line.startsWith(RECONCILE_COUNT + " ") || line.startsWith(RECONCILE_COUNT + "{")) {
        String value = line.substring(line.lastIndexOf(' ') + 1);
        count = Math.max(count, 0) + (long) Double.parseDouble(value);
      }
    }
    return count;
  }

  private Jcmd jcmd(ProcessHandle p, String command) throws IOException, InterruptedException {
    Path jcmd = jcmdFor(operatorImageRoot, System.getenv("JAVA25_HOME"));
    Process proc =
        new ProcessBuilder(jcmd.toString(), Long.toString(p.pid()), command)
            .redirectErrorStream(true)
            .start();
    String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Jcmd(proc.waitFor(), out);
  }

  /**
   * The {@code jcmd} that can attach to the operator: this JVM's, or, for an operator in an image
   * root, a Java 25 JDK's ({@code java25Home}, else Temurin 25's path on Debian, as {@code
   * e2e/node/images.sh} takes it). Java 17's {@code jcmd} looks for the attach socket in its own
   * {@code /tmp}, not in the chrooted process's, and cannot attach to it; Java 25's looks in the
   * process's root. Without one the heap is not read.
   */
  static Path jcmdFor(Path operatorImageRoot, String java25Home) {
    Path own = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    if (operatorImageRoot == null) {
      return own;
    }
    Path java25 =
        Path.of(
            java25Home == null || java25Home.isBlank()
                ? "/usr/lib/jvm/temurin-25-jdk-amd64"
                : java25Home,
            "bin",
            "jcmd");
    return Files.isExecutable(java25) ? java25 : own;
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  /** Requests by user from the API server's audit log (level Metadata, one JSON line each). */
  private static final class AuditLog {
    private final Path file;
    private long offset;

    AuditLog(Path file) {
      this.file = file;
    }

    synchronized void mark() {
      try {
        offset = Files.size(file);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    synchronized Map<String, Counts> counts() {
      Map<String, Map<String, Integer>> byUser = new TreeMap<>();
      try (InputStream in = Files.newInputStream(file)) {
        in.skipNBytes(offset);
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          JsonNode e = JSON.readTree(line);
          if (!"ResponseComplete".equals(e.path("stage").asText())) {
            continue;
          }
          String user = e.path("user").path("username").asText();
          JsonNode ref = e.path("objectRef");
          String resource = ref.path("resource").asText("");
          if (!ref.path("subresource").asText("").isEmpty()) {
            resource += "/" + ref.path("subresource").asText();
          }
          String verb = e.path("verb").asText();
          byUser
              .computeIfAbsent(user, u -> new TreeMap<>())
              .merge(verb + " " + (resource.isEmpty() ? "-" : resource), 1, Integer::sum);
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      Map<String, Counts> out = new TreeMap<>();
      byUser.forEach((u, m) -> out.put(u, new Counts(m)));
      return out;
    }
  }

  /** Requests by User-Agent on the mock API server, drained as they come. */
  private static final class RequestLog {
    private final Map<String, Map<String, Integer>> byAgent = new ConcurrentHashMap<>();

    static RequestLog drain(DevEnvironment env) {
      RequestLog log = new RequestLog();
      Thread t =
          new Thread(
              () -> {
                while (true) {
                  try {
                    var r = env.server().takeRequest();
                    String agent = r.getHeader("User-Agent");
                    String path = r.getPath() == null ? "" : r.getPath();
                    String resource = resourceOf(path);
                    String verb = r.getMethod() == null ? "?" : r.getMethod().toLowerCase();
                    log.byAgent
                        .computeIfAbsent(
                            agent == null ? "-" : agent, a -> new ConcurrentHashMap<>())
                        .merge(verbOf(verb) + " " + resource, 1, Integer::sum);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "request-log");
      t.setDaemon(true);
      t.start();
      return log;
    }

    private static String verbOf(String method) {
      return switch (method) {
        case "post" -> "create";
        case "put" -> "update";
        default -> method;
      };
    }

    /** The resource (and subresource) of a Kubernetes API path, without names. */
    static String resourceOf(String path) {
      String p = path.split("\\?", 2)[0];
      String[] parts = p.split("/");
      // /api/v1/namespaces/ns/pods/name/status, /apis/g/v/namespaces/ns/res/name
      List<String> segs = new ArrayList<>(List.of(parts));
      segs.removeIf(String::isEmpty);
      int start = segs.size() > 0 && segs.get(0).equals("api") ? 2 : 3;
      List<String> rest = segs.subList(Math.min(start, segs.size()), segs.size());
      if (rest.size() >= 2 && rest.get(0).equals("namespaces")) {
        rest = rest.subList(2, rest.size());
        if (rest.isEmpty()) {
          return "namespaces";
        }
      }
      if (rest.isEmpty()) {
        return "-";
      }
      return rest.size() >= 3 ? rest.get(0) + "/" + rest.get(2) : rest.get(0);
    }

    void mark() {
      byAgent.clear();
    }

    Map<String, Counts> counts() {
      Map<String, Counts> out = new TreeMap<>();
      byAgent.forEach((a, m) -> out.put(a, new Counts(new TreeMap<>(m))));
      return out;
    }
  }
}
