package io.nbsecrets.dev;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.operator.Labels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code dev --control-plane}: the product on a real control plane ({@link ControlPlane}) instead
 * of the mock, installed the way a cluster admin installs it — {@code helm install} of the chart
 * into namespace {@value #NAMESPACE} (Pod Security {@code restricted}) — with the chart's operator
 * and API containers run as processes, as their own ServiceAccounts ({@link ChartPod}), and session
 * pods' init steps run by {@link NodeStandIn}. So the roles start exactly as the subcommands do in
 * a cluster, and the chart's RBAC, the CRD's schema and Pod Security apply.
 */
public final class ControlPlaneDev implements DevAssembly {
  public static final String NAMESPACE = "nbsecrets";
  public static final String RELEASE = "nbsecrets";

  private final ControlPlane cp;
  private final KubernetesClient admin;
  private final StartedResources resources = new StartedResources();
  private final Map<String, String> tokens = new LinkedHashMap<>();
  private final Path sessions;
  private ChartPod operator;
  private ChartPod api;

  private ControlPlaneDev(ControlPlane cp, Path dir) {
    this.cp = cp;
    this.admin = cp.client(ControlPlane.ADMIN);
    this.sessions = dir.resolve("sessions");
  }

  /**
   * Starts the control plane from the binaries in {@code bin}, installs the chart from {@code
   * charts/nbsecrets} (run from the repository) and binds one namespace to each user.
   */
  public static ControlPlaneDev start(
      Path bin, Path dir, List<String> users, SessionKeyAlgorithm keyAlgorithm)
      throws IOException, InterruptedException {
    return start(bin, dir, users, keyAlgorithm, Node.RUNS_INIT_STEPS, List.of(), Map.of(), null);
  }

  /** What stands in for the session pods' node. */
  public enum Node {
    /** The node stand-in runs each session pod's init step, then reports the pod Ready. */
    RUNS_INIT_STEPS,
    /**
     * The node stand-in reports each session pod Ready at once without running its init step (scale
     * measurements: a real cluster's nodes run the init steps elsewhere; the pod's status says so).
     */
    READY_WITHOUT_INIT,
    /** No node: session pods stay Pending, as on a control plane that has none. */
    NONE
  }

  /**
   * As {@link #start(Path, Path, List, SessionKeyAlgorithm)}, with what stands in for the node
   * ({@link Node}; the operator and API then run with the image's JVM flags unless it runs init
   * steps, for measurements), with more flags for kube-controller-manager ({@link
   * ControlPlane#start}) and more chart values ({@code helm install --set}, which win over the
   * development settings); with an {@code operatorImageRoot} (or null) the operator runs the
   * nbsecrets image's own entry point and JVM, changed into that root filesystem ({@link
   * ChartPod#start(ControlPlane, Deployment, String, String, boolean, boolean, Path)}).
   */
  public static ControlPlaneDev start(
      Path bin,
      Path dir,
      List<String> users,
      SessionKeyAlgorithm keyAlgorithm,
      Node node,
      List<String> controllerManagerFlags,
      Map<String, String> chartValues,
      Path operatorImageRoot)
      throws IOException, InterruptedException {
    if (!Files.isDirectory(Helm.CHART)) {
      throw new IOException(
          "dev --control-plane installs the chart from "
              + Helm.CHART
              + ", which is not there: run it from the repository's root");
    }
    Map<String, List<String>> accounts = new LinkedHashMap<>();
    users.forEach(u -> accounts.put(u, List.of()));
    ControlPlane cp =
        ControlPlane.start(bin, dir.resolve("control-plane"), accounts, controllerManagerFlags);
    ControlPlaneDev dev = new ControlPlaneDev(cp, dir);
    try {
      dev.boot(users, keyAlgorithm, node, chartValues, operatorImageRoot);
      return dev;
    } catch (IOException | InterruptedException | RuntimeException e) {
      dev.close();
      throw e;
    }
  }

  private void boot(
      List<String> users,
      SessionKeyAlgorithm keyAlgorithm,
      Node node,
      Map<String, String> chartValues,
      Path operatorImageRoot)
      throws IOException, InterruptedException {
    admin.namespaces().resource(restricted(NAMESPACE, null)).create();
    // Development keeps the API on plain HTTP (api.tls.mode none: the chart then tells the operator
    // and init containers so), so that curl and the CLI reach it at endpoints.json's URL as is.
    new Helm(cp).install(RELEASE, NAMESPACE, values(keyAlgorithm, chartValues));
    for (String user : users) {
      admin.namespaces().resource(restricted(user, user)).create();
      tokens.put(user, cp.token(user));
    }
    boolean asImage = node != Node.RUNS_INIT_STEPS;
    operator =
        ChartPod.start(
            cp,
            deployment("nbsecrets-operator"),
            "operator",
            "nbsecrets-operator-dev",
            asImage,
            false,
            operatorImageRoot);
    resources.add(operator);
    api = ChartPod.start(cp, deployment("nbsecrets-api"), "api", "nbsecrets-api-dev", asImage);
    resources.add(api);
    String apiUrl = api.url("http");
    if (node != Node.NONE) {
      resources.add(
          new NodeStandIn(cp, service -> apiUrl, sessions, node == Node.RUNS_INIT_STEPS).start());
    }
  }

  private static Map<String, String> values(
      SessionKeyAlgorithm keyAlgorithm, Map<String, String> chartValues) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("keys.algorithm", keyAlgorithm.id());
    values.put("api.tls.mode", "none");
    values.putAll(chartValues);
    return values;
  }

  private Deployment deployment(String name) {
    Deployment d = admin.apps().deployments().inNamespace(NAMESPACE).withName(name).get();
    if (d == null) {
      throw new IllegalStateException("the chart made no Deployment " + name);
    }
    return d;
  }

  /** A namespace under Pod Security {@code restricted}, bound to {@code user} when not null. */
  public static Namespace restricted(String name, String user) {
    NamespaceBuilder b =
        new NamespaceBuilder()
            .withNewMetadata()
            .withName(name)
            .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
            .addToLabels("pod-security.kubernetes.io/warn", "restricted")
            .endMetadata();
    if (user != null) {
      b.editMetadata().addToAnnotations(Labels.NAMESPACE_USER_ANNOTATION, user).endMetadata();
    }
    return b.build();
  }

  /** The chart's operator container, run as a process. */
  public ChartPod operator() {
    return operator;
  }

  /** The chart's API container, run as a process. */
  public ChartPod api() {
    return api;
  }

  public ControlPlane controlPlane() {
    return cp;
  }

  @Override
  public String kubernetesKind() {
    return "real control plane";
  }

  @Override
  public String kubernetesUrl() {
    return cp.url();
  }

  @Override
  public String apiUrl() {
    return api.url("http");
  }

  @Override
  public Map<String, String> tokens() {
    return java.util.Collections.unmodifiableMap(tokens);
  }

  @Override
  public KubernetesClient client() {
    return admin;
  }

  @Override
  public Path sessionDir(String namespace, String name) {
    return sessions.resolve(namespace).resolve(name);
  }

  @Override
  public void writeKubeconfig(Path file) throws IOException {
    // The admin's token (system:masters): readable by its owner only.
    LocalProcesses.writePrivate(file, Files.readString(cp.kubeconfig(ControlPlane.ADMIN)));
  }

  @Override
  public void close() {
    resources.close();
    admin.close();
    cp.close();
  }
}
