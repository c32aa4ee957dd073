package io.nbsecrets.apiserver;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nbsecrets.dev.ChartPod;
import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.dev.Helm;
import io.nbsecrets.dev.NodeStandIn;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.tls.ServerNameTrust;
import io.nbsecrets.tls.ServerTls;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One install of the chart on the real control plane, the way a cluster admin makes it: the release
 * namespace (Pod Security {@code restricted}), {@code helm install}, then the chart's pods run by
 * {@link ChartPod} as their own ServiceAccounts, and session pods by {@link NodeStandIn}.
 */
final class ChartRelease implements AutoCloseable {
  static final String USER_ANNOTATION = "nbsecrets.io/user";

  final ControlPlane cp;
  final String release;
  final String namespace;
  final KubernetesClient admin;
  final Helm helm;
  final String installOutput;
  private final List<ChartPod> pods = new ArrayList<>();
  private final List<String> userNamespaces = new ArrayList<>();
  private NodeStandIn node;

  private ChartRelease(ControlPlane cp, String release, String namespace, String installOutput) {
    this.cp = cp;
    this.release = release;
    this.namespace = namespace;
    this.admin = cp.client(ControlPlane.ADMIN);
    this.helm = new Helm(cp);
    this.installOutput = installOutput;
  }

  /** Creates the release namespace (restricted) and runs {@code helm install}. */
  static ChartRelease install(
      ControlPlane cp, String release, String namespace, Map<String, String> values)
      throws IOException, InterruptedException {
    try (KubernetesClient admin = cp.client(ControlPlane.ADMIN)) {
      admin.namespaces().resource(restricted(namespace, null)).create();
      grantSessionEditing(admin);
    }
    Map<String, String> all = new LinkedHashMap<>();
    all.putAll(values);
    String out = new Helm(cp).install(release, namespace, all);
    return new ChartRelease(cp, release, namespace, out);
  }

  /** A namespace labelled for Pod Security {@code restricted} (and bound to {@code user}). */
  static io.fabric8.kubernetes.api.model.Namespace restricted(String name, String user) {
    var b =
        new NamespaceBuilder()
            .withNewMetadata()
            .withName(name)
            .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
            .addToLabels("pod-security.kubernetes.io/enforce-version", "latest")
            .addToLabels("pod-security.kubernetes.io/warn", "restricted")
            .endMetadata();
    if (user != null) {
      b.editMetadata().addToAnnotations(USER_ANNOTATION, user).endMetadata();
    }
    return b.build();
  }

  /** A user's namespace, bound to the user by the admin's annotation; deleted with the release. */
  String userNamespace(String name, String user) {
    admin.namespaces().resource(restricted(name, user)).create();
    userNamespaces.add(name);
    return name;
  }

  /** A namespace made before the install, deleted with the release. */
  void adoptNamespace(String name) {
    userNamespaces.add(name);
  }

  /** Users and launchers may manage NotebookSessions (the admission policy limits whose). */
  private static void grantSessionEditing(KubernetesClient admin) {
    String name = "nbsecrets-test-session-editor";
    admin
        .rbac()
        .clusterRoles()
        .resource(
            new ClusterRoleBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withRules(
                    new PolicyRuleBuilder()
                        .withApiGroups(NotebookSession.GROUP)
                        .withResources("notebooksessions")
                        .withVerbs("get", "list", "watch", "create", "update", "patch", "delete")
                        .build())
                .build())
        .createOr(r -> r.update());
    var binding =
        new ClusterRoleBindingBuilder()
            .withNewMetadata()
            .withName(name)
            .endMetadata()
            .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", name);
    for (String user : RealApiServer.USERS.keySet()) {
      binding
          .addNewSubject()
          .withKind("User")
          .withName(user)
          .withApiGroup("rbac.authorization.k8s.io")
          .endSubject();
    }
    admin.rbac().clusterRoleBindings().resource(binding.build()).createOr(r -> r.update());
  }

  Deployment deployment(String name) {
    Deployment d = admin.apps().deployments().inNamespace(namespace).withName(name).get();
    if (d == null) {
      throw new IllegalStateException("the chart made no Deployment " + name);
    }
    return d;
  }

  /** Runs container {@code container} of Deployment {@code deployment} as a pod would. */
  ChartPod startPod(String deployment, String container, String podName) throws IOException {
    return startPod(deployment, container, podName, false);
  }

  /**
   * As {@link #startPod(String, String, String)}; with {@code hostNetwork}, listening on every
   * address of the machine on its container ports (for pods of a real node).
   */
  ChartPod startPod(String deployment, String container, String podName, boolean hostNetwork)
      throws IOException {
    ChartPod pod =
        ChartPod.start(cp, deployment(deployment), container, podName, false, hostNetwork);
    synchronized (pods) {
      pods.add(pod);
    }
    return pod;
  }

  /** The kubelet stand-in for session pods; init containers reach the API at {@code apiUrl}. */
  NodeStandIn startNode(String apiUrl) {
    node = new NodeStandIn(cp, service -> apiUrl, cp.dir().resolve("sessions")).start();
    return node;
  }

  String serviceAccountUser(String serviceAccount) {
    return "system:serviceaccount:" + namespace + ":" + serviceAccount;
  }

  /** Creates a NotebookSession from YAML as {@code user} (a static user of the control plane). */
  GenericKubernetesResource apply(String user, String yaml) {
    try (KubernetesClient c = cp.client(user)) {
      return sessions(c, Serialization.unmarshal(yaml, GenericKubernetesResource.class)).create();
    }
  }

  static Resource<GenericKubernetesResource> sessions(
      KubernetesClient c, GenericKubernetesResource session) {
    return c.genericKubernetesResources(NotebookSession.API_VERSION, NotebookSession.KIND)
        .inNamespace(session.getMetadata().getNamespace())
        .resource(session);
  }

  GenericKubernetesResource session(String ns, String name) {
    return admin
        .genericKubernetesResources(NotebookSession.API_VERSION, NotebookSession.KIND)
        .inNamespace(ns)
        .withName(name)
        .get();
  }

  /**
   * A client of the API as a user in the cluster would have: it trusts only the CA bundle the API
   * published and requires the API Service's name in the certificate, though it connects to the
   * loopback port the API process listens on.
   */
  HttpClient apiClient() {
    String bundle =
        admin
            .configMaps()
            .inNamespace(namespace)
            .withName(ServerTls.CA_CONFIGMAP)
            .get()
            .getData()
            .get(ServerTls.CA_KEY);
    String service =
        admin
            .services()
            .inNamespace(namespace)
            .withLabel("app.kubernetes.io/component", "api")
            .list()
            .getItems()
            .get(0)
            .getMetadata()
            .getName();
    return HttpClient.newBuilder()
        .sslContext(ServerNameTrust.context(bundle, service + "." + namespace + ".svc"))
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** {@code DELETE /api/v1/secrets/NAME} as {@code user}; the HTTP status. */
  int deleteSecret(String apiUrl, String user, String name)
      throws IOException, InterruptedException {
    return apiClient()
        .send(
            HttpRequest.newBuilder(URI.create(apiUrl + "/api/v1/secrets/" + name))
                .header("Authorization", "Bearer " + cp.token(user))
                .timeout(Duration.ofSeconds(30))
                .DELETE()
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** {@code PUT /api/v1/secrets/NAME} as {@code user}; the HTTP status. */
  int putSecret(String apiUrl, String user, String name, String value)
      throws IOException, InterruptedException {
    String body = Serialization.asJson(Map.of("value", value));
    HttpResponse<String> r =
        apiClient()
            .send(
                HttpRequest.newBuilder(URI.create(apiUrl + "/api/v1/secrets/" + name))
                    .header("Authorization", "Bearer " + cp.token(user))
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(30))
                    .PUT(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return r.statusCode();
  }

  /** {@code GET /api/v1/secrets/NAME} as {@code user}: what the API shows (metadata and usage). */
  Map<String, Object> getSecret(String apiUrl, String user, String name)
      throws IOException, InterruptedException {
    HttpResponse<String> r =
        apiClient()
            .send(
                HttpRequest.newBuilder(URI.create(apiUrl + "/api/v1/secrets/" + name))
                    .header("Authorization", "Bearer " + cp.token(user))
                    .timeout(Duration.ofSeconds(30))
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET " + name + " answered " + r.statusCode());
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> json = Serialization.unmarshal(r.body(), Map.class);
    return json;
  }

  /** Every role process's log, and every init step's output. */
  String logs() throws IOException {
    StringBuilder all = new StringBuilder();
    synchronized (pods) {
      for (ChartPod p : pods) {
        all.append(p.logText()).append('\n');
      }
    }
    if (node != null) {
      all.append(node.initLogs());
    }
    return all.toString();
  }

  @Override
  public void close() throws IOException {
    if (node != null) {
      node.close();
    }
    synchronized (pods) {
      for (ChartPod p : pods) {
        p.close();
      }
    }
    try {
      helm.uninstall(release, namespace);
      // What the release leaves on purpose (crds.keep; the store's namespace), removed here as an
      // administrator would, so that the next release on this API server installs the CRD anew.
      var crd =
          admin
              .apiextensions()
              .v1()
              .customResourceDefinitions()
              .withName("notebooksessions.nbsecrets.io");
      if (crd.get() == null) {
        throw new IllegalStateException("helm uninstall deleted the CRD (crds.keep)");
      }
      crd.delete();
      crd.waitUntilCondition(java.util.Objects::isNull, 60, TimeUnit.SECONDS);
      admin.namespaces().withName(namespace + "-store").delete();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while uninstalling " + release, e);
    } finally {
      for (String ns : userNamespaces) {
        admin.namespaces().withName(ns).delete();
      }
      admin.namespaces().withName(namespace).delete();
      admin.close();
    }
  }
}
