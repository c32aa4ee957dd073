package io.nbsecrets.dev;

import static io.nbsecrets.config.NbsecretsSettings.DEV_API_PORT;
import static io.nbsecrets.config.NbsecretsSettings.DEV_DIR;
import static io.nbsecrets.config.NbsecretsSettings.DEV_KEY_ALGORITHM;
import static io.nbsecrets.config.NbsecretsSettings.DEV_KUBERNETES_PORT;
import static io.nbsecrets.config.NbsecretsSettings.DEV_NO_EXAMPLES;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbsecrets.cli.Main;
import io.nbsecrets.cli.PluggedCommand;
import io.nbsecrets.cli.SettingFlags;
import io.nbsecrets.cli.SettingFlags.Flag;
import io.nbsecrets.config.NbsecretsSettings;
import io.nbsecrets.config.Settings;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.operator.Conditions;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Everything in one process, no cluster needed: how people try the product. */
@Command(
    name = "dev",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    modelTransformer = SettingFlags.Bind.class,
    description =
        "Run the whole product locally: an embedded Kubernetes API (mock) or, with"
            + " --control-plane, a real one; the secrets API, the operator, and stand-ins for"
            + " what is missing (kubelet; with the mock, garbage collector and TokenReview).")
public final class DevCommand implements Callable<Integer>, SettingFlags.Owner, PluggedCommand {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec CommandSpec spec;

  private Path dir;
  private boolean noExamples;
  private int kubernetesPort;
  private int apiPort;
  private SessionKeyAlgorithm keyAlgorithm;

  @Option(
      names = "--control-plane",
      arity = "0..1",
      fallbackValue = "",
      paramLabel = "BIN",
      description =
          "Run on a real control plane (etcd, kube-apiserver, kube-controller-manager) with the"
              + " chart installed by helm, from the binaries in BIN (default: "
              + ControlPlane.BIN_ENV
              + ", else what e2e/control-plane/build.sh built). Run from the repository's root.")
  String controlPlane;

  @Override
  public List<Flag> settingFlags() {
    return List.of(
        new Flag("--dir", String.class, DEV_DIR),
        new Flag("--no-examples", boolean.class, DEV_NO_EXAMPLES),
        new Flag("--kubernetes-port", Integer.class, DEV_KUBERNETES_PORT),
        new Flag("--api-port", Integer.class, DEV_API_PORT),
        new Flag("--key-algorithm", String.class, DEV_KEY_ALGORITHM));
  }

  @Override
  public Integer call() throws Exception {
    Settings settings = Settings.load(null, System.getenv(), List.of(), SettingFlags.given(spec));
    dir = Path.of(settings.get(NbsecretsSettings.DEV_DIR));
    noExamples = settings.get(NbsecretsSettings.DEV_NO_EXAMPLES);
    kubernetesPort = settings.get(NbsecretsSettings.DEV_KUBERNETES_PORT);
    apiPort = settings.get(NbsecretsSettings.DEV_API_PORT);
    keyAlgorithm = SessionKeyAlgorithm.of(settings.get(NbsecretsSettings.DEV_KEY_ALGORITHM));
    Files.createDirectories(dir);
    DevAssembly env = controlPlane == null ? startMock() : startControlPlane();
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  env.close();
                  stop.countDown();
                }));
    Path kubeconfig = dir.resolve("kubeconfig");
    env.writeKubeconfig(kubeconfig);
    Map<String, Object> endpoints = new LinkedHashMap<>();
    endpoints.put("kubernetes", env.kubernetesUrl());
    endpoints.put("api", env.apiUrl());
    endpoints.put("tokens", env.tokens());
    // The tokens in it let anyone act as the users: readable by this user only.
    // Tokens of every user: readable by the owner only.
    Path endpointsFile =
        LocalProcesses.writePrivate(
            dir.resolve("endpoints.json"),
            JSON.writerWithDefaultPrettyPrinter().writeValueAsString(endpoints));

    System.out.println("nbsecrets dev is running (Ctrl-C to stop).");
    System.out.println(
        "  Kubernetes API ("
            + env.kubernetesKind()
            + "): "
            + env.kubernetesUrl()
            + "  kubeconfig: "
            + kubeconfig);
    System.out.println("  secrets API:           " + env.apiUrl());
    System.out.println("  endpoints and tokens:  " + endpointsFile);
    System.out.println("  namespaces bound to users: " + String.join(", ", env.tokens().keySet()));
    if (!noExamples) {
      loadExamples(env);
    }
    System.out.println("Try:");
    System.out.println(
        "  curl -s -H \"Authorization: Bearer $(jq -r .tokens.alice "
            + endpointsFile
            + ")\" "
            + env.apiUrl()
            + "/api/v1/secrets");
    System.out.println("  kubectl --kubeconfig " + kubeconfig + " get nbs -A");
    System.out.println(
        "  jq -r .tokens.alice "
            + endpointsFile
            + " | java -jar target/nbsecrets.jar login --api "
            + env.apiUrl()
            + " --token-stdin");
    System.out.println("  java -jar target/nbsecrets.jar list");
    stop.await();
    return 0;
  }

  private DevAssembly startMock() {
    return DevEnvironment.start(
        DevEnvironment.Options.defaults(dir.toAbsolutePath())
            .withKeyAlgorithm(keyAlgorithm)
            .withPorts(kubernetesPort, apiPort));
  }

  private DevAssembly startControlPlane() throws IOException, InterruptedException {
    Path bin =
        controlPlane.isEmpty()
            ? ControlPlane.binaries()
                .orElseThrow(
                    () ->
                        new IOException(
                            "--control-plane: no binaries; build them with"
                                + " e2e/control-plane/build.sh (needs Go) or name their folder"))
            : Path.of(controlPlane);
    System.out.println("starting a real control plane from " + bin + " ...");
    return ControlPlaneDev.start(
        bin, dir.toAbsolutePath(), DevEnvironment.Options.defaults(dir).users(), keyAlgorithm);
  }

  private void loadExamples(DevAssembly env) throws IOException, InterruptedException {
    Map<String, Map<String, String>> secrets;
    try (InputStream in = resource("examples/secrets.json")) {
      secrets = JSON.readValue(in, new TypeReference<>() {});
    }
    HttpClient http = HttpClient.newHttpClient();
    for (var user : secrets.entrySet()) {
      for (var secret : user.getValue().entrySet()) {
        HttpRequest put =
            HttpRequest.newBuilder(
                    URI.create(
                        env.apiUrl()
                            + "/api/v1/secrets/"
                            + URLEncoder.encode(secret.getKey(), StandardCharsets.UTF_8)))
                .header("Authorization", "Bearer " + env.token(user.getKey()))
                .header("Content-Type", "application/json")
                .PUT(
                    HttpRequest.BodyPublishers.ofString(
                        JSON.writeValueAsString(Map.of("value", secret.getValue()))))
                .build();
        HttpResponse<String> response = http.send(put, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
          throw new IllegalStateException(
              "storing example secret "
                  + secret.getKey()
                  + " failed: HTTP "
                  + response.statusCode());
        }
        System.out.println(
            "  stored example secret "
                + user.getKey()
                + "/"
                + secret.getKey()
                + " through the API");
      }
    }
    NotebookSession session;
    try (InputStream in = resource("examples/session-alice.yaml")) {
      session = env.client().resources(NotebookSession.class).load(in).item();
    }
    env.client().resource(session).create();
    String ns = session.getMetadata().getNamespace();
    String name = session.getMetadata().getName();
    System.out.println("  created NotebookSession " + ns + "/" + name);
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (Instant.now().isBefore(deadline)) {
      NotebookSession s =
          env.client().resources(NotebookSession.class).inNamespace(ns).withName(name).get();
      if (s.getStatus() != null
          && Conditions.is(
              s.getStatus().getConditions(), Conditions.READY, Conditions.TRUE, "SessionReady")) {
        Path files = env.sessionDir(ns, name);
        System.out.println(
            "  session " + ns + "/" + name + " is Ready; its secret files are in " + files + ":");
        try (Stream<Path> list = Files.list(files)) {
          list.sorted().forEach(p -> System.out.println("    " + p.getFileName()));
        }
        return;
      }
      Thread.sleep(200);
    }
    System.out.println(
        "  session " + ns + "/" + name + " did not become Ready within 60 s: see its status");
  }

  private static InputStream resource(String name) throws IOException {
    InputStream in = DevCommand.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new IOException(name + " is not in the jar");
    }
    return in;
  }
}
