package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionSpec;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsOrArray;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nbsecrets.dev.ChartPod;
import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.model.NotebookSession;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The CRD is newer than the operator (a chart upgrade that was rolled back, or CRDs managed apart
 * from the operator): the API server keeps fields the operator's model does not know, and a value
 * whose type the newer schema widened. The operator process lives on, other sessions still
 * reconcile, and each session it cannot read fully says which fields, by name and never by value.
 */
@Tag("apiserver")
@ExtendWith(RealApiServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UnreadableSessionOnApiServerTest {
  private static final String NS = "nbs-unread";
  private static final String USER_NS = "unread-alice";
  private static final String CRD = "notebooksessions.nbsecrets.io";

  /** Values in the unknown fields; none may appear in a status, Event or log. */
  private static final String HIDDEN_VALUE = "hidden-value-0f3c9";

  private static final String HIDDEN_PORT = "port-value-7e21";

  private ChartRelease chart;
  private ChartPod operator;
  private CustomResourceDefinitionSpec original;

  @BeforeAll
  void install() throws Exception {
    ControlPlane cp = RealApiServer.get();
    chart = ChartRelease.install(cp, "nbsecrets-unread", NS, Map.of());
    chart.userNamespace(USER_NS, "alice");
    installNewerCrd();
    // The API server keeps the new fields once the new schema is in effect (a dry run, so that
    // no session is made before). Watches opened before the change still serve objects as the
    // old schema prunes them for a while: the operator starts after it, as an operator restarted
    // (or rolled back) after a CRD upgrade does.
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              GenericKubernetesResource dry =
                  ChartRelease.sessions(
                          chart.admin,
                          Serialization.unmarshal(
                              newerSession("newer"), GenericKubernetesResource.class))
                      .dryRun()
                      .create();
              assertThat(
                      ((Map<?, ?>) dry.getAdditionalProperties().get("spec"))
                          .containsKey("initContainers"))
                  .as("spec.initContainers kept by the API server")
                  .isTrue();
            });
    operator = chart.startPod("nbsecrets-unread-operator", "operator", "unread-operator-standin");
    var api = chart.startPod("nbsecrets-unread-api", "api", "unread-api-standin");
    chart.startNode(api.url("https"));
    assertThat(chart.putSecret(api.url("https"), "alice", "token", "alice-token-value"))
        .isEqualTo(201);
  }

  @AfterAll
  void uninstall() throws Exception {
    if (chart == null) {
      return;
    }
    try {
      if (original != null) {
        for (String name : List.of("newer", "named-port", "after")) {
          chart
              .admin
              .genericKubernetesResources(NotebookSession.API_VERSION, NotebookSession.KIND)
              .inNamespace(USER_NS)
              .withName(name)
              .delete();
        }
        CustomResourceDefinition crd =
            chart.admin.apiextensions().v1().customResourceDefinitions().withName(CRD).get();
        crd.setSpec(original);
        chart.admin.resource(crd).update();
      }
    } finally {
      chart.close();
    }
  }

  /** What a newer CRD might say: more fields, and a port that may also be a name. */
  private void installNewerCrd() {
    CustomResourceDefinition crd =
        chart.admin.apiextensions().v1().customResourceDefinitions().withName(CRD).get();
    original = Serialization.clone(crd.getSpec());
    Map<String, JSONSchemaProps> spec =
        crd.getSpec()
            .getVersions()
            .get(0)
            .getSchema()
            .getOpenAPIV3Schema()
            .getProperties()
            .get("spec")
            .getProperties();
    JSONSchemaProps anyObject =
        new JSONSchemaPropsBuilder()
            .withType("object")
            .withXKubernetesPreserveUnknownFields(true)
            .build();
    spec.put(
        "initContainers",
        new JSONSchemaPropsBuilder()
            .withType("array")
            .withItems(new JSONSchemaPropsOrArray(null, anyObject))
            .build());
    spec.get("env").getItems().getSchema().getProperties().put("valueFrom", anyObject);
    JSONSchemaProps port = spec.get("port");
    port.setType(null);
    port.setMinimum(null);
    port.setMaximum(null);
    port.setXKubernetesIntOrString(true);
    chart.admin.resource(crd).update();
  }

  private String audit() {
    try {
      return AuditLog.read(chart.cp.auditLog()).stream()
          .filter(e -> USER_NS.equals(e.namespace()) && "newer".equals(e.name()))
          .map(Object::toString)
          .collect(java.util.stream.Collectors.joining("\n"));
    } catch (Exception e) {
      return e.toString();
    }
  }

  private String logText() {
    try {
      return operator.logText();
    } catch (java.io.IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  private String operatorExit() {
    try {
      String log = operator.logText();
      return "operator process alive; its log ends:\n"
          + log.substring(Math.max(0, log.length() - 3000));
    } catch (java.io.IOException e) {
      return "operator process alive (log unreadable: " + e + ")";
    }
  }

  private static String newerSession(String name) {
    return """
        apiVersion: nbsecrets.io/v1alpha1
        kind: NotebookSession
        metadata:
          name: %s
          namespace: %s
        spec:
          user: alice
          image: quay.io/jupyter/minimal-notebook:2024-12-02
          initContainers:
          - name: warm-up
            image: busybox
            args: ["%s"]
          env:
          - name: PLAIN
            value: "1"
          - name: FROM_SECRET
            valueFrom:
              secretKeyRef: {name: "%s", key: token}
          secrets:
            items:
            - name: token
        """
        .formatted(name, USER_NS, HIDDEN_VALUE, HIDDEN_VALUE);
  }

  @Test
  void sessionsWithFieldsTheOperatorCannotReadAreReportedAndOthersStillReconcile()
      throws Exception {
    chart.apply("alice", Sessions.yaml(USER_NS, "before", "alice", List.of("token")));
    Sessions.awaitReady(chart, USER_NS, "before");

    chart.apply("alice", newerSession("newer"));
    chart.apply(
        "alice",
        Sessions.yaml(USER_NS, "named-port", "alice", List.of("token"))
            .replace("  image:", "  port: " + HIDDEN_PORT + "\n  image:"));

    await()
        .atMost(Sessions.WAIT)
        .untilAsserted(
            () -> {
              assertThat(operator.isAlive()).as(this::operatorExit).isTrue();
              assertThat(Sessions.condition(chart, USER_NS, "newer", "Ready"))
                  .containsEntry("status", "False")
                  .containsEntry("reason", "UnreadableSpec");
              assertThat(
                      (String)
                          Sessions.condition(chart, USER_NS, "newer", "SecretsReady")
                              .get("message"))
                  .contains("spec.initContainers", "spec.env[1].valueFrom");
              assertThat(
                      (String)
                          Sessions.condition(chart, USER_NS, "named-port", "SecretsReady")
                              .get("message"))
                  .contains("spec.port");
            });
    // No workload for a session the operator could only read in part.
    assertThat(
            chart.admin.apps().statefulSets().inNamespace(USER_NS).list().getItems().stream()
                .map(s -> s.getMetadata().getName()))
        .as(() -> "StatefulSets; requests about newer:\n" + audit() + "\nlog:\n" + logText())
        .containsExactly("before");

    // The same process still reconciles other sessions, new ones included.
    chart.apply("alice", Sessions.yaml(USER_NS, "after", "alice", List.of("token")));
    Sessions.awaitReady(chart, USER_NS, "after");
    assertThat(operator.isAlive()).isTrue();

    List<String> warnings =
        chart.admin.v1().events().inNamespace(USER_NS).list().getItems().stream()
            .filter(e -> "Warning".equals(e.getType()))
            .filter(e -> "UnreadableSpec".equals(e.getReason()))
            .map(e -> e.getInvolvedObject().getName() + ": " + e.getMessage())
            .toList();
    assertThat(warnings)
        .anyMatch(w -> w.startsWith("newer: ") && w.contains("spec.initContainers"))
        .anyMatch(w -> w.startsWith("named-port: ") && w.contains("spec.port"));

    String everything =
        Serialization.asJson(chart.session(USER_NS, "newer").getAdditionalProperties())
            + Serialization.asJson(chart.session(USER_NS, "named-port").getAdditionalProperties())
            + chart.admin.v1().events().inNamespace(USER_NS).list().getItems().stream()
                .map(Serialization::asJson)
                .toList()
            + operator.logText();
    // The spec itself holds the values; the status, Events and logs must not.
    everything =
        everything.replace(
            Serialization.asJson(
                chart.session(USER_NS, "newer").getAdditionalProperties().get("spec")),
            "");
    everything =
        everything.replace(
            Serialization.asJson(
                chart.session(USER_NS, "named-port").getAdditionalProperties().get("spec")),
            "");
    assertThat(everything).doesNotContain(HIDDEN_VALUE).doesNotContain(HIDDEN_PORT);
    assertThat(operator.logText()).doesNotContain("Fatal error in informer");
  }
}
